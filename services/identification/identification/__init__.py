"""identification: precise identification of households (lifecycle stage 2)."""
