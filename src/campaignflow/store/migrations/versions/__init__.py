"""The revisions of the store's schema, one module each (see ``campaignflow.store.migrations``)."""
