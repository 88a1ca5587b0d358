import pytest

from edu.auth.permissions import safe_next


@pytest.mark.parametrize("target", ["/dashboard", "/courses/x?y=1#z"])
def test_local_paths_are_kept(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\r\nLocation: https://evil.example",
        "/" + "a" * 600,
        "\\\\evil",
    ],
)
def test_anything_else_is_refused(target: str | None) -> None:
    assert safe_next(target) is None
