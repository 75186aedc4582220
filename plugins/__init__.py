"""Built-in model plugins, installed as the package ``studio_plugins`` and registered
through the ``genai_studio.plugins`` entry point group like any third-party plugin."""
