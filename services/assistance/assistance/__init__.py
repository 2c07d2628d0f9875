"""assistance: assistance matching with priority (lifecycle stage 3, 科学施策)."""
