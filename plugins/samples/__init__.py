"""Built-in plugin: the four sample kinds every GenAI Studio has (points, numbers,
text, images) and their views.

They are registered through the same hooks a third-party plugin uses
(``studio_sample_kinds``, ``studio_sample_views``); the sample classes are Qt-free
(``studio.api``), the views are built lazily from ``studio.api_qt``.
"""

from __future__ import annotations

from studio import api

STUDIO_API = "1.1"

DESCRIPTIONS = {
    "points": "2-D points, optionally over a reference curve (JSON)",
    "numbers": "generated integers with the rule they should follow (JSON)",
    "text": "generated texts and their prompt (JSON)",
    "images": "a batch of images with captions, saved as a PNG grid",
}


def _view(name: str):
    def factory():
        from studio import api_qt

        return getattr(api_qt, name)()

    return factory


@api.hookimpl
def studio_sample_kinds() -> list[api.SampleKindSpec]:
    classes = {"points": api.Points, "numbers": api.Numbers, "text": api.Text, "images": api.Images}
    return [api.SampleKindSpec(k, c, DESCRIPTIONS[k]) for k, c in classes.items()]


@api.hookimpl
def studio_sample_views() -> list[api.SampleViewSpec]:
    views = {
        "points": "PointsView",
        "numbers": "NumbersView",
        "text": "TextView",
        "images": "ImagesView",
    }
    return [api.SampleViewSpec(kind, _view(name)) for kind, name in views.items()]
