"""The application layer of the recovery case dashboard: settings, login, the consent
policy and its audit trail, the services behind each screen, the demo and the command
line. Pages (pages/) call in here, and this uses models/. Nothing here imports Streamlit
but the entry script `dashboard/app.py` and the glue package `dashboard/web/`."""
