"""The audit log: who did what to which credential, when, from where and how."""
