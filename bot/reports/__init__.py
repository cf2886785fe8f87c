"""Reports for any period: one model (`model.Report`) built from the record, three renderings (Markdown, CSV,
JSON), delivered by `/headway report`, `headway report|export` and `GET /api/v1/reports/...`."""
