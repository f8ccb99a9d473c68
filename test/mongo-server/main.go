// mongo-server: a MongoDB-compatible server for tests and `npm start` on machines without mongod
// or internet. It embeds FerretDB v1 (SQLite backend by default) and listens on loopback only.
//
// It prints one line, `READY mongodb://127.0.0.1:<port>/`, once it accepts connections, and stops
// on SIGINT/SIGTERM or when its stdin closes, so that it never outlives the Node process that
// started it (that process keeps a pipe to our stdin open).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1; 0 picks a free one")
	dir := flag.String("dir", "", "SQLite data directory; default a new temporary directory, removed on exit")
	handler := flag.String("handler", "sqlite", "FerretDB backend: sqlite or postgresql")
	pgURL := flag.String("postgresql-url", "postgres://127.0.0.1:5432/ferretdb", "PostgreSQL URL for -handler postgresql")
	watchStdin := flag.Bool("watch-stdin", true, "stop when stdin reaches EOF")
	flag.Parse()

	if err := run(*port, *dir, *handler, *pgURL, *watchStdin); err != nil {
		fmt.Fprintln(os.Stderr, "mongo-server:", err)
		os.Exit(1)
	}
}

func run(port int, dir, handler, pgURL string, watchStdin bool) error {
	if port == 0 {
		free, err := freePort()
		if err != nil {
			return err
		}
		port = free
	}
	if dir == "" && handler == "sqlite" {
		tmp, err := os.MkdirTemp("", "mongo-server-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}

	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: addr},
		Logger:        logger,
		Handler:       handler,
		SQLiteURL:     "file:" + dir + "/",
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

	if err := waitForListener(addr, 30*time.Second); err != nil {
		return err
	}
	fmt.Printf("READY mongodb://%s/\n", addr)

	<-done
	return nil
}

// freePort asks the kernel for a free loopback port. FerretDB needs the port up front, and the
// window between closing this listener and FerretDB binding it is short.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitForListener(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("FerretDB did not listen on %s within %s: %w", addr, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
