"""The shared UI kit: what every feature window is built from (panels, tables, forms,
reports, the registry, the change bus and the contracts between features)."""
