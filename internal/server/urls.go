package server

import "net/http"

// absURL returns the address of path (which starts with "/") for a link
// that leaves the page, such as an invite link sent by mail or chat.
//
// With Config.PublicURL set it returns PublicURL+path and true. Without it
// it returns path alone and false: the server never builds an absolute
// link from the request's Host header, which a client chooses (a forged
// Host would turn the link into one to another site).
func (s *Server) absURL(r *http.Request, path string) (string, bool) {
	if s.cfg.PublicURL == "" {
		return path, false
	}
	return s.cfg.PublicURL + path, true
}
