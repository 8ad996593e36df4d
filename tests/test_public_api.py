"""The public facade: what `import campaignflow` offers, and nothing by accident."""

from __future__ import annotations

import inspect

import campaignflow as cf
from campaignflow import exceptions


class TestFacade:
    def test_all_is_sorted_and_complete(self) -> None:
        """__all__ is sorted and names exactly the public attributes of the package."""
        public = {n for n in vars(cf) if not n.startswith("_")} - {
            "exceptions",
            "store",
            "presets",
            "testing",
            "cli",
            # the subpackages the package is cut into (reached as campaignflow.run...)
            "definition",
            "org",
            "report",
            "run",
            "values",
        }
        assert list(cf.__all__) == sorted(cf.__all__)
        assert set(cf.__all__) - {"__version__"} == public

    def test_every_error_is_a_campaignflow_error(self) -> None:
        """Every exception class in campaignflow.exceptions derives from CampaignflowError."""
        errors = [v for v in vars(exceptions).values() if isinstance(v, type) and issubclass(v, Exception)]
        assert all(issubclass(e, cf.CampaignflowError) for e in errors)
        assert issubclass(cf.DefinitionError, ValueError)
        assert issubclass(cf.UnknownUnit, KeyError)
        assert issubclass(cf.PermissionDenied, PermissionError)

    def test_public_names_have_docstrings(self) -> None:
        """Every public class and function carries a docstring."""
        objects = [getattr(cf, n) for n in cf.__all__]
        documented = [o for o in objects if inspect.isclass(o) or inspect.isfunction(o)]
        missing = [o.__name__ for o in documented if not o.__doc__]
        assert missing == []


class TestReference:
    def test_every_public_name_is_in_the_reference(self) -> None:
        """docs/reference/api.md renders every name in campaignflow.__all__."""
        from pathlib import Path  # noqa: PLC0415

        page = (Path(__file__).resolve().parent.parent / "docs" / "reference" / "api.md").read_text(
            encoding="utf-8"
        )
        missing = [
            n for n in cf.__all__ if n != "__version__" and f"::: campaignflow.{n}\n" not in page + "\n"
        ]
        assert missing == []
