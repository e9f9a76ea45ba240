"""manage.py startresource: renders a working app and registers it, or changes nothing.

CI (.ci/run) also generates one in a scratch copy, migrates, runs its tests and serves it.
"""

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

REPO = Path(__file__).resolve().parents[2]
EDITED = ["config/settings/base.py", "config/urls.py"]


@pytest.fixture
def project(settings, tmp_path) -> Path:
    """A scratch project root holding copies of the two files the command edits."""
    for relative in EDITED:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / relative, tmp_path / relative)
    settings.BASE_DIR = tmp_path
    return tmp_path


def snapshot(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): path.read_text() for path in root.rglob("*.py")}


def test_startresource_renders_every_file_of_the_app(project, capsys):
    call_command("startresource", "notes")

    app = project / "notes"
    expected = {
        "__init__.py", "admin.py", "apps.py", "filters.py", "models.py", "serializers.py",
        "services.py", "urls.py", "views.py", "migrations/__init__.py",
        "migrations/0001_initial.py", "migrations/0002_staff_can_view_notes.py",
        "tests/__init__.py", "tests/test_api.py", "tests/test_services.py",
    }  # fmt: skip
    assert {str(path.relative_to(app)) for path in app.rglob("*.py")} == expected
    for path in app.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
        assert "{{" not in path.read_text(), path
        assert "{%" not in path.read_text(), path
    out = capsys.readouterr().out
    assert "registered at /api/v1/notes/" in out
    assert "makemigrations notes" in out
    assert "manage.py migrate" in out


def test_startresource_registers_the_app_and_its_urls_above_the_markers(project):
    call_command("startresource", "notes")

    settings_text = (project / "config/settings/base.py").read_text()
    urls_text = (project / "config/urls.py").read_text()
    assert '    "notes",\n    # startresource: new apps go above this line' in settings_text
    assert (
        '    path("", include("notes.urls")),\n    # startresource: new resources go above'
        in urls_text
    )


def test_startresource_spells_a_two_word_name_everywhere(project):
    call_command("startresource", "blog_posts")

    app = project / "blog_posts"
    assert "class BlogPost(models.Model):" in (app / "models.py").read_text()
    assert "def blog_post_create(" in (app / "services.py").read_text()
    assert (
        'router.register("blog-posts", BlogPostViewSet, basename="blogpost")'
        in (app / "urls.py").read_text()
    )
    assert (
        '("blog_posts", "view_blogpost")'
        in (app / "migrations/0002_staff_can_view_blog_posts.py").read_text()
    )


def test_startresource_with_an_irregular_plural_takes_the_model_name(project):
    call_command("startresource", "people", model="Person")

    assert "class Person(models.Model):" in (project / "people/models.py").read_text()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("items", "already installed"),
        ("accounts", "already installed"),
        ("Notes!", "not a valid resource name"),
        ("Notes", "not a valid resource name"),
        ("blog__posts", "not a valid resource name"),
        ("class", "Python keyword"),
        ("json", "shadow the Python module"),
        ("groups", "Users already have an attribute"),
        ("files", "Users already have an attribute"),
        ("users", "already served"),
        ("sheep", "name the model with --model"),
    ],
)
def test_startresource_with_an_unsafe_name_is_a_clear_error_and_changes_nothing(
    project, name, message
):
    before = snapshot(project)

    with pytest.raises(CommandError, match=message):
        call_command("startresource", name)

    assert snapshot(project) == before
    assert sorted(path.name for path in project.iterdir()) == ["config"]


def test_startresource_into_an_existing_folder_is_an_error(project):
    (project / "notes").mkdir()
    before = snapshot(project)

    with pytest.raises(CommandError, match="already exists"):
        call_command("startresource", "notes")

    assert snapshot(project) == before


def test_startresource_without_the_markers_is_an_error_and_writes_no_app(project):
    urls = project / "config/urls.py"
    urls.write_text(urls.read_text().replace("# startresource: new resources go above", "#"))

    with pytest.raises(CommandError, match="no line"):
        call_command("startresource", "notes")

    assert not (project / "notes").exists()
