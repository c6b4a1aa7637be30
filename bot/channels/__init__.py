"""How a message reaches people: one module per messenger, below the channel seam."""
