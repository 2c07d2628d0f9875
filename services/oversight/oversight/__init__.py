"""oversight: the petition channel 信访举报 (deadlines, routing, follow-through by events)."""
