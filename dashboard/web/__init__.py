"""The Streamlit glue: the one package of dashboard/ that imports streamlit.

Pages (pages/) are thin scripts that describe their screen with these pieces and call the
services of dashboard/; the services never see Streamlit.

- database: the engine of the process, one transaction per user action
- session: the browser session's login state, timeouts and second factor
- navigation: which screens each role has, and the menu
- forms: `submit`, the one way a form's action runs, and the message after it
- widgets: small pieces every screen uses (the confidentiality notice, dates, text)
- member_record: a member's shared record, and the detail screen around it
- flags_form: a member's open flags and the outreach that answers them
- charts: a chart with its summary in words
"""
