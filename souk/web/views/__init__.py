"""The pages' views, one module per area."""
