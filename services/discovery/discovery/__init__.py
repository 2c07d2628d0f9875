"""discovery: rapid discovery of households in hardship (lifecycle stage 1)."""
