"""followup: long-term follow-up of households after they exit assistance (lifecycle stage 5, 长期跟踪)."""
