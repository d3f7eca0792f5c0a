"""E-mail as a channel: the outbound port (handlers.ports.Messenger) over SMTP.

`smtp` talks to the mail server (smtplib: STARTTLS when offered, AUTH only over TLS),
`compose` lays an outbound message out as a text and an HTML part (escaped, UTF-8),
`messenger` is the Messenger the outbox sends through. Addresses are linked to departments
by `hokoku dept email` (handlers.organization.mail_addresses).
"""
