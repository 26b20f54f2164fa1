"""The generative program recipes, one module each (``glassnet train NAME`` runs ``run``):
``digits_autoencoder``, ``digits_vae``, ``digits_gan``, ``digits_diffusion``, ``moons_gan`` and
``moons_diffusion``. Each writes sample grids, its other pictures, weights and a report.md with
the measured quality figures into the run folder, and returns those figures."""
