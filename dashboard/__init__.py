"""Application layer of the recovery case dashboard: config, auth, consent policy,
services, demo data and the command line. Pages call in here; nothing here but
`dashboard.app` and `dashboard.ui` imports Streamlit."""
