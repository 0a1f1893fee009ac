# corpus: benign
# Temporary directories, shutil and zipfile.
import shutil
import tempfile
import zipfile
from pathlib import Path


def main():
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "data")
        source.mkdir()
        for name in ("a.txt", "b.txt"):
            (source / name).write_text(name.upper())
        shutil.copy(source / "a.txt", source / "c.txt")
        archive = shutil.make_archive(str(Path(tmp, "bundle")), "zip", source)
        with zipfile.ZipFile(archive) as bundle:
            names = sorted(bundle.namelist())
    return {"names": names}
