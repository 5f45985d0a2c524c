"""Local-disk storage, the embedded default: `images/ab/card.png` is `<root>/images/ab/card.png`.

Content type and metadata live in a sidecar `card.png.<inode>.ogmeta`: named after the data
file's inode, so a reader holding one version of the file finds that version's metadata. A put
writes the new sidecar, renames the data into place, then drops the old sidecar (a crash leaves
an orphan sidecar, never an object with wrong metadata); writers to a directory, in any process,
hold its flock so overwrites can't delete each other's sidecars. Blocking calls run in threads.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import mimetypes
import os
import stat
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import BinaryIO

import msgspec

from proxy.storage.base import (
    CHUNK_SIZE,
    InvalidKey,
    ObjectInfo,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    check_content_type,
    check_key,
    check_metadata,
    check_prefix,
)

__all__ = ["LocalStorage"]

# Reserved name endings: no key segment may use them, so a sidecar, a half-written temp file or
# a lock file can never be read, overwritten or deleted through a key.
_SIDECAR = ".ogmeta"
_TEMP = ".ogtmp"
_LOCK = ".oglock"
# An overwrite racing a reader makes it start over; more than a few rounds means a writer storm.
_MAX_ATTEMPTS = 8


class _Sidecar(msgspec.Struct, frozen=True):
    content_type: str
    metadata: dict[str, str]


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(_Sidecar).decode


class LocalStorage:
    """The Storage Protocol on a directory tree."""

    name = "local"

    def __init__(self, root: str) -> None:
        # Resolved once: containment checks compare real paths, so symlinks cannot fool them.
        self.root = os.path.realpath(root)

    async def head(self, key: str) -> ObjectInfo:
        return await asyncio.to_thread(self._head_sync, self._path(key))

    @asynccontextmanager
    async def open(self, key: str) -> AsyncIterator[tuple[ObjectInfo, AsyncIterator[bytes]]]:
        path = self._path(key)
        # Open, stat and read the first chunk in one thread hop: most cards fit in one chunk.
        file, info, first = await asyncio.to_thread(self._open_sync, path)
        chunks = _stream(file, first)
        try:
            yield info, chunks
        finally:
            await chunks.aclose()
            file.close()

    async def put(
        self, key: str, data: bytes, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> None:
        path = self._path(key)
        sidecar = _encode(_Sidecar(check_content_type(content_type), check_metadata(metadata)))
        await asyncio.to_thread(self._put_sync, path, data, sidecar)

    async def put_if_absent(
        self, key: str, data: bytes, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> bool:
        path = self._path(key)
        sidecar = _encode(_Sidecar(check_content_type(content_type), check_metadata(metadata)))
        return await asyncio.to_thread(self._put_sync, path, data, sidecar, True)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete_sync, self._path(key))

    async def list(self, prefix: str, *, start_after: str = "", limit: int = 1000) -> list[str]:
        check_prefix(prefix)
        folder = self._path(prefix[:-1])
        keys = await asyncio.to_thread(_walk, folder, prefix)
        return [k for k in keys if k > start_after][:limit]

    def local_path(self, key: str) -> str | None:
        try:
            return self._path(key)
        except InvalidKey:
            return None

    async def ping(self) -> None:
        root = self.root
        if not await asyncio.to_thread(lambda: os.path.isdir(root) and os.access(root, os.W_OK)):
            raise StorageUnavailable(f"{self.root} is not a writable directory")

    async def close(self) -> None:
        """Nothing to release: files are opened per call."""

    def _path(self, key: str) -> str:
        check_key(key)
        if any(part.endswith((_SIDECAR, _TEMP, _LOCK)) for part in key.split("/")):
            raise InvalidKey(f"storage key {key!r} uses a reserved name ending")
        path = os.path.join(self.root, *key.split("/"))
        self._contain(path, key)
        return path

    def _contain(self, path: str, key: str) -> None:
        # realpath resolves existing symlinks, so links out of the root are refused (racing one in
        # after this check needs write access to the root, which is ours).
        real = os.path.realpath(path)
        if os.path.commonpath((self.root, real)) != self.root or real == self.root:
            raise InvalidKey(f"storage key {key!r} resolves outside the storage root")

    def _head_sync(self, path: str) -> ObjectInfo:
        for _ in range(_MAX_ATTEMPTS):
            st = _stat_object(path)
            info = _info(path, st)
            # Without an open file the inode could be freed and reused by a newer version between
            # the stat and the sidecar read; a rename changes ctime, so compare it too.
            now = _stat_object(path)
            if info is not None and (st.st_ino, st.st_ctime_ns) == (now.st_ino, now.st_ctime_ns):
                return info
        raise StorageUnavailable(f"{path} keeps changing under concurrent writes")

    def _open_sync(self, path: str) -> tuple[BinaryIO, ObjectInfo, bytes]:
        for _ in range(_MAX_ATTEMPTS):
            try:
                file = open(path, "rb")  # noqa: SIM115 - closed by open()'s finally
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                raise ObjectNotFound(path) from None
            except OSError as exc:
                raise _os_error(exc) from exc
            try:
                # fstat: the metadata must describe the inode we hold, whatever is renamed later.
                info = _info(path, os.fstat(file.fileno()))
                if info is not None:
                    return file, info, file.read(CHUNK_SIZE)
                file.close()
            except OSError as exc:
                file.close()
                raise _os_error(exc) from exc
            except BaseException:
                file.close()
                raise
        raise StorageUnavailable(f"{path} keeps changing under concurrent writes")

    def _put_sync(self, path: str, data: bytes, sidecar: bytes, exclusive: bool = False) -> bool:
        directory = os.path.dirname(path)
        try:
            os.makedirs(directory, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise InvalidKey(f"{path}: a parent is an existing object") from None
        except OSError as exc:
            raise _os_error(exc) from exc
        # Re-check now that the directories exist: one of them could be a symlink out of the root.
        self._contain(path, path)
        if os.path.isdir(path):
            raise InvalidKey(f"{path} is a directory of other objects")
        try:
            with _locked(directory):
                if exclusive:
                    return _create(path, data, sidecar)
                _replace(path, data, sidecar)
        except OSError as exc:
            raise _os_error(exc) from exc
        return True

    def _delete_sync(self, path: str) -> None:
        directory, name = os.path.split(path)
        try:
            with _locked(directory):
                with suppress(FileNotFoundError, IsADirectoryError):
                    os.unlink(path)
                # Every sidecar of this name goes, including orphans of an interrupted put.
                with os.scandir(directory) as entries:
                    for entry in entries:
                        if _is_sidecar_of(entry.name, name):
                            os.unlink(entry.path)
        except (FileNotFoundError, NotADirectoryError):
            pass  # no such directory: nothing to delete
        except OSError as exc:
            raise _os_error(exc) from exc


@contextmanager
def _locked(directory: str) -> Iterator[None]:
    fd = os.open(os.path.join(directory, _LOCK), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _replace(path: str, data: bytes, sidecar: bytes) -> None:
    """Sidecar first, then the data: a visible object always has its metadata."""
    directory, name = os.path.split(path)
    tmp = _write_temp(directory, name, data)
    debris = [tmp]  # what to remove if anything below fails
    try:
        ino = os.stat(tmp).st_ino
        sidecar_tmp = _write_temp(directory, name, sidecar)
        debris += [sidecar_tmp, _sidecar_path(path, ino)]
        os.replace(sidecar_tmp, _sidecar_path(path, ino))
        old = _ino_or_none(path)
        os.replace(tmp, path)
    except BaseException:
        for leftover in debris:
            with suppress(FileNotFoundError):
                os.unlink(leftover)
        raise
    _fsync_dir(directory)
    if old is not None and old != ino:
        # Readers still holding the old inode notice the missing sidecar and start over.
        with suppress(FileNotFoundError):
            os.unlink(_sidecar_path(path, old))


def _create(path: str, data: bytes, sidecar: bytes) -> bool:
    """Like _replace, but never over an existing object: link(2) fails if the name exists, and
    it is atomic across processes (the directory lock covers only writers that take it)."""
    directory, name = os.path.split(path)
    tmp = _write_temp(directory, name, data)
    sidecar_path = None
    try:
        ino = os.stat(tmp).st_ino
        sidecar_tmp = _write_temp(directory, name, sidecar)
        sidecar_path = _sidecar_path(path, ino)
        os.replace(sidecar_tmp, sidecar_path)
        try:
            os.link(tmp, path)
        except FileExistsError:
            os.unlink(sidecar_path)
            return False
    except BaseException:
        if sidecar_path is not None:
            with suppress(FileNotFoundError):
                os.unlink(sidecar_path)
        raise
    finally:
        os.unlink(tmp)
    _fsync_dir(directory)
    return True


def _walk(folder: str, prefix: str) -> list[str]:
    """Every object key under `folder` (sorted), skipping sidecars, temp and lock files."""
    keys: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.endswith((_SIDECAR, _TEMP, _LOCK))]
        rel = os.path.relpath(dirpath, folder)
        base = prefix if rel == "." else prefix + rel.replace(os.sep, "/") + "/"
        keys.extend(
            base + name for name in filenames if not name.endswith((_SIDECAR, _TEMP, _LOCK))
        )
    keys.sort()
    return keys


async def _stream(file: BinaryIO, first: bytes) -> AsyncGenerator[bytes, None]:
    chunk = first
    while chunk:
        yield chunk
        try:
            chunk = await asyncio.to_thread(file.read, CHUNK_SIZE)
        except OSError as exc:
            raise _os_error(exc) from exc


def _stat_object(path: str) -> os.stat_result:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise ObjectNotFound(path) from None
    except OSError as exc:
        raise _os_error(exc) from exc
    if not stat.S_ISREG(st.st_mode):
        raise ObjectNotFound(path)
    return st


def _info(path: str, st: os.stat_result) -> ObjectInfo | None:
    """The object's info, or None when its sidecar vanished because an overwrite just landed."""
    try:
        with open(_sidecar_path(path, st.st_ino), "rb") as f:
            sidecar = _decode(f.read())
    except FileNotFoundError:
        if _ino_or_none(path) != st.st_ino:
            return None  # replaced meanwhile: the caller starts over on the new version
        # A file placed by hand (no put): still servable, typed from its name.
        guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
        sidecar = _Sidecar(guessed, {})
    except (OSError, msgspec.DecodeError) as exc:
        raise StorageUnavailable(f"unreadable metadata for {path}: {exc}") from exc
    return ObjectInfo(st.st_size, sidecar.content_type, sidecar.metadata, st.st_mtime)


def _write_temp(directory: str, name: str, data: bytes) -> str:
    """Write `data` to a fresh, fsynced temp file in `directory` (same filesystem: atomic rename)."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name[:64]}.", suffix=_TEMP)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), 0o644)  # mkstemp's 0600 would hide files from other readers
            os.fsync(f.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def _sidecar_path(path: str, ino: int) -> str:
    return f"{path}.{ino}{_SIDECAR}"


def _is_sidecar_of(entry: str, name: str) -> bool:
    head, _, ino = entry.removesuffix(_SIDECAR).rpartition(".")
    return entry.endswith(_SIDECAR) and head == name and ino.isdigit()


def _ino_or_none(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except (FileNotFoundError, NotADirectoryError):
        return None


def _fsync_dir(directory: str) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _os_error(exc: OSError) -> StorageError:
    # A name too long for the filesystem is the caller's key, not a broken disk.
    if exc.errno == errno.ENAMETOOLONG:
        return InvalidKey(f"storage key too long: {exc.filename}")
    return StorageUnavailable(f"local storage: {exc}")
