package admin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// KeySource is where the web admin's cookie and CSRF keys are kept, made on
// first use: a file in the data folder (KeyFile), or the database that
// several servers share (KeysIn), so that a cookie or a CSRF token made by
// one of them is good on every other.
type KeySource interface {
	load(ctx context.Context, log *slog.Logger) (SessionKeys, error)
}

// KeyFile keeps the keys in the file SessionKeyFile in dir; with dir empty
// they live in memory for this process only.
func KeyFile(dir string) KeySource { return keyFile(dir) }

type keyFile string

func (dir keyFile) load(_ context.Context, log *slog.Logger) (SessionKeys, error) {
	return loadSessionKeys(string(dir), log)
}

// KeyTable is a database table holding one set of session keys: given a
// fresh candidate set, SessionKeys keeps it if there is none yet and
// returns the set kept, the same for every caller.
type KeyTable interface {
	SessionKeys(ctx context.Context, candidate SessionKeys) (SessionKeys, error)
}

// KeysIn keeps the keys in db, where the first server to start creates
// them and every other, at the same instant or later, reads the same.
func KeysIn(db KeyTable) KeySource { return keyTable{db} }

type keyTable struct{ db KeyTable }

func (k keyTable) load(ctx context.Context, _ *slog.Logger) (SessionKeys, error) {
	keys, err := k.db.SessionKeys(ctx, newSessionKeys())
	if err != nil {
		return SessionKeys{}, fmt.Errorf("web: session keys: %w", err)
	}
	for i, k := range [][]byte{keys.Hash, keys.Block, keys.CSRF} {
		if len(k) != sessionKeySizes[i] {
			return SessionKeys{}, fmt.Errorf("web: the session keys in the database are damaged (key %d is %d bytes, not %d)", i+1, len(k), sessionKeySizes[i])
		}
	}
	return keys, nil
}

// SessionKeyFile is the name of the file in the data folder that holds the
// web admin's cookie keys. It is created on first start with mode 0600.
//
// Format: three lines of hex, in this order: the 64-byte HMAC key that signs
// cookies, the 32-byte AES key that encrypts them, and the 32-byte key from
// which each session's CSRF token is derived. Deleting the file signs
// everybody out at the next start.
const SessionKeyFile = "session.key"

// SessionKeys are the secrets behind the session cookie and CSRF tokens:
// the HMAC key that signs cookies, the AES key that encrypts them, and the
// key each session's CSRF token is derived from.
type SessionKeys struct {
	Hash, Block, CSRF []byte
}

var sessionKeySizes = [3]int{64, 32, 32}

func newSessionKeys() SessionKeys {
	var ks [3][]byte
	for i, n := range sessionKeySizes {
		ks[i] = make([]byte, n)
		rand.Read(ks[i])
	}
	return SessionKeys{Hash: ks[0], Block: ks[1], CSRF: ks[2]}
}

func (k SessionKeys) encode() []byte {
	var b bytes.Buffer
	for _, key := range [][]byte{k.Hash, k.Block, k.CSRF} {
		b.WriteString(hex.EncodeToString(key))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func decodeSessionKeys(data []byte) (SessionKeys, error) {
	lines := bytes.Fields(data)
	if len(lines) != len(sessionKeySizes) {
		return SessionKeys{}, errors.New("expected three lines of hex")
	}
	var ks [3][]byte
	for i, line := range lines {
		k, err := hex.DecodeString(string(line))
		if err != nil || len(k) != sessionKeySizes[i] {
			return SessionKeys{}, fmt.Errorf("line %d is not %d bytes of hex", i+1, sessionKeySizes[i])
		}
		ks[i] = k
	}
	return SessionKeys{Hash: ks[0], Block: ks[1], CSRF: ks[2]}, nil
}

// loadSessionKeys reads the key file in dir, creating it on first start. A
// file readable by others is narrowed to 0600 (with a warning) rather than
// refused: the keys are still ours, and refusing would only lock the admin
// out. Without a data folder the keys live in memory for this process only.
func loadSessionKeys(dir string, log *slog.Logger) (SessionKeys, error) {
	if dir == "" {
		log.Warn("no data folder: web sessions end when the server stops")
		return newSessionKeys(), nil
	}
	path := filepath.Join(dir, SessionKeyFile)
	for range 2 {
		data, err := readPrivateFile(path, log)
		if err == nil {
			keys, err := decodeSessionKeys(data)
			if err != nil {
				return SessionKeys{}, fmt.Errorf("web: session key file %s is damaged (%v); delete it to sign everybody out and start again", path, err)
			}
			return keys, nil
		}
		if errors.Is(err, errNotRegular) {
			return SessionKeys{}, fmt.Errorf("web: session key file %s is %v; replace it with the key file itself", path, err)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return SessionKeys{}, fmt.Errorf("web: read session key file: %w", err)
		}
		keys := newSessionKeys()
		err = writeNewFile(path, keys.encode())
		if errors.Is(err, fs.ErrExist) {
			continue // another process created it first: read theirs
		}
		if err != nil {
			return SessionKeys{}, fmt.Errorf("web: create session key file: %w", err)
		}
		return keys, nil
	}
	return SessionKeys{}, fmt.Errorf("web: session key file %s keeps changing", path)
}

// errNotRegular is what readPrivateFile answers for a symlink, a device, a
// folder or anything else that is not a plain file.
var errNotRegular = errors.New("not a regular file")

// readPrivateFile reads the key file at path, narrowing its mode to 0600
// (with a warning) when others may read it. Only a regular file is read: a
// symlink is refused rather than followed, so the server never changes the
// mode of, or trusts, a file somewhere else. The mode is changed through the
// open file, and the open file must be the one that was checked, so a swap
// between the check and the open is refused too.
func readPrivateFile(path string, log *slog.Logger) ([]byte, error) {
	checked, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !checked.Mode().IsRegular() {
		return nil, fmt.Errorf("%s, %w", fileKind(checked.Mode()), errNotRegular)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || !os.SameFile(checked, fi) {
		return nil, fmt.Errorf("replaced while being opened, %w", errNotRegular)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return nil, fmt.Errorf("web: session key file %s is readable by others and cannot be narrowed to 0600: %w", path, err)
		}
		log.Warn("session key file was readable by others; narrowed to 0600", "file", path, "was", perm.String())
	}
	return io.ReadAll(f)
}

// fileKind names what a non-regular file is, for the error message.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	case m.IsDir():
		return "a folder"
	default:
		return "a special file (" + m.Type().String() + ")"
	}
}

// writeNewFile creates path with mode 0600 only if it does not exist yet, and
// syncs it, so that a crash never leaves a half-written key file behind that
// a later start would trust.
func writeNewFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".session-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Link fails with ErrExist when another process won the race.
	return os.Link(tmp.Name(), path)
}
