package main

import (
	"context"
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

// run drives newReq with a fixed number of workers for a fixed duration over
// keep-alive connections, and counts a response as an error unless its
// status is want. At the end no new request starts but those in flight
// finish and are counted, so that every statement the server ran belongs
// to a counted request.
func run(ctx context.Context, hc *http.Client, newReq request, want int, workers int, d time.Duration) result {
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
				req, err := newReq()
				if err != nil {
					nerr++
					ferr = err.Error()
					continue
				}
				t0 := time.Now()
				resp, err := hc.Do(req.WithContext(ctx))
				if err != nil {
					nerr++
					ferr = err.Error()
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != want {
					nerr++
					ferr = resp.Status + ": " + truncate(string(body), 200)
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
