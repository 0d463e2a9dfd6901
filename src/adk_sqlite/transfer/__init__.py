"""Moving sessions between stores: export to PostgreSQL, import from ADK's own stores."""
