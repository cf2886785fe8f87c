"""After launch: live health of shipped models, Alertmanager alerts and the keep/retrain/roll back/retire loop."""
