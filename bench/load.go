package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// result is what one scenario run measured.
type result struct {
	Requests int
	Errors   int
	Elapsed  time.Duration
	P50, P99 time.Duration
	// FirstError describes one failure, so a run with errors says why.
	FirstError string
}

func (r result) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// request builds one request of a scenario; it is called concurrently and
// must return a fresh *http.Request each time.
type request func() (*http.Request, error)

// operation is one counted unit of a scenario: a single request, or a whole
// browser flow of several. It is called concurrently.
type operation func(ctx context.Context) error

// single turns a request into an operation that fails unless the response
// status is want.
func single(hc *http.Client, newReq request, want int) operation {
	return func(ctx context.Context) error {
		req, err := newReq()
		if err != nil {
			return err
		}
		resp, err := hc.Do(req.WithContext(ctx))
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			return fmt.Errorf("%s: %s", resp.Status, truncate(string(body), 200))
		}
		return nil
	}
}

// run drives op with a fixed number of workers for a fixed duration and
// counts each failed operation as an error. At the end no new operation
// starts but those in flight finish and are counted, so that every
// statement the server ran belongs to a counted operation.
func run(ctx context.Context, op operation, workers int, d time.Duration) result {
	deadline := time.Now().Add(d)
	var (
		mu       sync.Mutex
		all      []time.Duration
		errs     int
		firstErr string
		wg       sync.WaitGroup
	)
	start := time.Now()
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			var nerr int
			var ferr string
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				err := op(ctx)
				lat = append(lat, time.Since(t0))
				if err != nil {
					nerr++
					ferr = err.Error()
				}
			}
			mu.Lock()
			all = append(all, lat...)
			errs += nerr
			if firstErr == "" {
				firstErr = ferr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res := result{Requests: len(all), Errors: errs, Elapsed: time.Since(start), FirstError: firstErr}
	if len(all) > 0 {
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		res.P50 = all[len(all)*50/100]
		res.P99 = all[len(all)*99/100]
	}
	return res
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
