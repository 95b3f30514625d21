"""One registered metric per module; :data:`stgan.metrics.registry.METRICS` imports them all."""
