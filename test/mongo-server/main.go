// mongo-server: a MongoDB-compatible server for tests and `npm start` on machines that have no
// mongod and no internet to download one. It embeds FerretDB v1 (SQLite backend by default, or a
// PostgreSQL server's database) and listens on loopback only.
//
// It prints exactly one line to stdout, `READY mongodb://127.0.0.1:<port>/`, once it accepts
// connections; FerretDB's own logs go to stderr. It stops on SIGINT/SIGTERM and also when its
// stdin reaches EOF: the Node process that starts it keeps a pipe to our stdin open, so if that
// process dies, even by SIGKILL, we exit too instead of lingering as an orphan.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/jackc/pgx/v5"
)

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1; 0 picks a free one")
	dir := flag.String("dir", "", "SQLite data directory (kept); default: a new temporary directory, removed on exit")
	handler := flag.String("handler", "sqlite", "FerretDB backend: sqlite or postgresql")
	pgURL := flag.String("postgresql-url", "postgres://127.0.0.1:5432/ferretdb", "PostgreSQL URL for --handler postgresql")
	pgCreate := flag.Bool("postgresql-create", false, "create the database of --postgresql-url when it does not exist")
	pgDrop := flag.Bool("postgresql-drop", false, "drop the database of --postgresql-url on exit (a disposable one)")
	logLevel := flag.String("log-level", "warn", "FerretDB log level on stderr: debug, info, warn or error")
	watchStdin := flag.Bool("watch-stdin", true, "stop when stdin reaches EOF (turn off when stdin is /dev/null)")
	flag.Parse()

	os.Exit(serve(*port, *dir, *handler, *pgURL, *pgCreate, *pgDrop, *logLevel, *watchStdin))
}

// serve runs FerretDB until it is told to stop; with PostgreSQL, the database's life may be ours:
// created first if asked, dropped once FerretDB stopped if asked. The exit code: 0, 1 for an
// error while serving, 3 when PostgreSQL could not be used at all.
func serve(port int, dir, handler, pgURL string, pgCreate, pgDrop bool, logLevel string, watchStdin bool) int {
	if handler == "postgresql" && pgCreate {
		if err := createDatabase(pgURL); err != nil {
			fmt.Fprintln(os.Stderr, "mongo-server: PostgreSQL:", err)
			return 3
		}
	}
	code := 0
	if err := run(port, dir, handler, pgURL, logLevel, watchStdin); err != nil {
		fmt.Fprintln(os.Stderr, "mongo-server:", err)
		code = 1
	}
	if handler == "postgresql" && pgDrop {
		if err := dropDatabase(pgURL); err != nil {
			fmt.Fprintln(os.Stderr, "mongo-server: PostgreSQL:", err)
		}
	}
	return code
}

// onServer connects to the server of `dbURL` (its `postgres` database) and runs `do` with the
// name of `dbURL`'s own database.
func onServer(dbURL string, do func(ctx context.Context, conn *pgx.Conn, name string) error) error {
	config, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return err
	}
	name := config.Database
	if name == "" || name == "postgres" {
		return fmt.Errorf("%q names no database of its own", dbURL)
	}
	config.Database = "postgres"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, config)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return do(ctx, conn, name)
}

func createDatabase(dbURL string) error {
	return onServer(dbURL, func(ctx context.Context, conn *pgx.Conn, name string) error {
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || exists {
			return err
		}
		_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
		return err
	})
}

func dropDatabase(dbURL string) error {
	return onServer(dbURL, func(ctx context.Context, conn *pgx.Conn, name string) error {
		_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return err
	})
}

func run(port int, dir, handler, pgURL, logLevel string, watchStdin bool) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return err
	}

	sqliteURL := ""
	if handler == "sqlite" {
		if dir == "" {
			tmp, err := os.MkdirTemp("", "mongo-server-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			dir = tmp
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return err
		}
		// A URL value, so that paths with spaces, '?' or '#' survive; FerretDB wants a trailing '/'.
		sqliteURL = (&url.URL{Scheme: "file", Path: abs + "/"}).String()
	}

	// FerretDB v1.24 binds the listener inside New, so port 0 is safe (no pick-then-bind race)
	// and MongoDBURI reports the real port.
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))},
		Logger:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
		Handler:       handler,
		SQLiteURL:     sqliteURL,
		PostgreSQLURL: pgURL,
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if watchStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	done := make(chan struct{})
	go func() {
		_ = f.Run(ctx)
		close(done)
	}()

	// The socket is already listening: clients that connect now wait in the backlog until Run accepts.
	fmt.Println("READY " + f.MongoDBURI())

	<-ctx.Done()
	select {
	case <-done:
	case <-time.After(5 * time.Second): // a stuck client connection must not keep us (and the temp dir) around
		fmt.Fprintln(os.Stderr, "mongo-server: FerretDB did not stop within 5 s; exiting anyway")
	}
	return nil
}
