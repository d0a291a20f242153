"""The shared UI kit: the panel base and its one way to call services, task launching,
the table models and views, formatters, form helpers and the per-user layout file.
Feature packages (ui.sales, ui.call, ui.archives) build on these instead of their own."""
