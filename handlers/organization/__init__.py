"""Who the office works with: the organization, its departments (機構改革 included), the
chat identities linked to them, the audit log, and moving the data to another database."""
