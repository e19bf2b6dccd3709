"""District News Archive: the ``dna`` command that wires crawler, archive and search."""
