"""A sync's own Meltano system folder, linked to the plugins installed for the project."""

from __future__ import annotations

from pathlib import Path

from crmsync_common.paths import link_installed_plugins, meltano_system_folder


def installed_project(root: Path) -> Path:
    installed = root / "project" / ".meltano"
    for kind in ("extractors", "loaders", "utilities"):
        (installed / kind / f"{kind}-plugin" / "venv").mkdir(parents=True)
    (installed / "run" / "tap-salesforce").mkdir(parents=True)
    (installed / "run" / "tap-salesforce" / "state.json").write_text("{}")
    return installed


def test_the_folder_links_the_installed_plugins_and_keeps_its_own_run_files(
    tmp_path: Path,
) -> None:
    installed = installed_project(tmp_path)
    folder = tmp_path / "sync" / "meltano"
    link_installed_plugins(folder, installed)
    assert sorted(p.name for p in folder.iterdir()) == ["extractors", "loaders", "utilities"]
    assert (folder / "extractors" / "extractors-plugin" / "venv").is_dir()
    assert all((folder / kind).is_symlink() for kind in ("extractors", "loaders", "utilities"))
    # another run's state is not visible here, and what a run writes here stays here
    assert not (folder / "run").exists()
    (folder / "run" / "tap-salesforce").mkdir(parents=True)
    (folder / "run" / "tap-salesforce" / "state.json").write_text('{"mine": 1}')
    assert (installed / "run" / "tap-salesforce" / "state.json").read_text() == "{}"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert meltano_system_folder(folder) == {"MELTANO_SYS_DIR_ROOT": str(folder)}


def test_linking_again_keeps_links_replaces_stale_ones_and_leaves_real_folders(
    tmp_path: Path,
) -> None:
    installed = installed_project(tmp_path)
    folder = tmp_path / "sync" / "meltano"
    folder.mkdir(parents=True)
    (folder / "extractors").symlink_to(tmp_path / "moved-project" / "extractors")
    (folder / "loaders").mkdir()  # plugins installed into this folder itself
    link_installed_plugins(folder, installed)
    link_installed_plugins(folder, installed)  # before every run: no error, no change
    assert (folder / "extractors").resolve() == (installed / "extractors").resolve()
    assert not (folder / "loaders").is_symlink()
    assert (folder / "utilities").resolve() == (installed / "utilities").resolve()


def test_the_project_folder_itself_is_left_as_it_is(tmp_path: Path) -> None:
    installed = installed_project(tmp_path)
    link_installed_plugins(installed, installed)
    assert not any(p.is_symlink() for p in installed.iterdir())
