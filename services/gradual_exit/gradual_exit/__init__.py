"""gradual_exit: the gradual exit of households from each programme (lifecycle stage 4, 渐退机制)."""
