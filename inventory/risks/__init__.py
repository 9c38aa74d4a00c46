"""The information risk register: risks derived from each asset's open findings and facts (``kinds``), scored
by ``rules/risk.yaml`` (``scoring``), kept across scans with their lifecycle (``sync``, ``register``), and the
SIRO's summary (``report``)."""
