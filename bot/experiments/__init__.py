"""Where experiment progress comes from: measurements, experiments, weekly goals, API tokens, MLflow."""
