package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"time"

	"github.com/opslab/opslab/content"
)

// benchClient is an HTTP client with enough idle connections for
// RunParallel's goroutines to reuse them.
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}}
}

func benchGet(b *testing.B, cl *http.Client, url string, cookie *http.Cookie) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", url, nil)
			if cookie != nil {
				req.AddCookie(cookie)
			}
			res, err := cl.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkLessonPage measures the signed-in lesson page end to end over
// loopback HTTP: session cookie, user lookup, progress queries, view
// recording, template. BenchmarkLessonPageBaseline serves the same bytes
// from memory with plain net/http, the ceiling to compare against.
func BenchmarkLessonPage(b *testing.B) {
	site, cookie, page := benchSite(b)
	b.SetBytes(int64(len(page)))
	b.ResetTimer()
	benchGet(b, benchClient(), site.URL+benchLesson, cookie)
}

func BenchmarkLessonPageBaseline(b *testing.B) {
	_, _, page := benchSite(b)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	}))
	defer plain.Close()
	b.SetBytes(int64(len(page)))
	b.ResetTimer()
	benchGet(b, benchClient(), plain.URL+"/", nil)
}

// benchLesson is the built-in lesson 11, the largest page learners read.
const benchLesson = "/courses/caching-messaging-infrastructure/lessons/redis-data-structures-for-operators"

// benchSite signs a learner in and returns the session cookie and the
// lesson page's bytes.
func benchSite(b *testing.B) (*testSite, *http.Cookie, []byte) {
	b.Helper()
	site := newSiteWith(b, true, content.FS)
	c := site.client(b)
	c.register("bench@example.com")
	st, _, page := c.do("GET", benchLesson, "")
	if st != 200 {
		b.Fatalf("lesson page: %d", st)
	}
	var cookie *http.Cookie
	for _, ck := range c.http.Jar.Cookies(mustURL(b, site.URL)) {
		if ck.Name == "opslab_session" {
			cookie = ck
		}
	}
	if cookie == nil {
		b.Fatal("no session cookie")
	}
	return site, cookie, []byte(page)
}

func mustURL(b *testing.B, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		b.Fatal(err)
	}
	return u
}
