// Package tlsgen makes the buildset registry's TLS material without
// openssl: a private CA and a server certificate it signs, ECDSA P-256,
// with every name clients reach the registry by (the
// zuul-jobs.buildset-registry alias, the registry host as given,
// localhost, 127.0.0.1 and ::1).
//
// The CA certificate is what consumers trust (the buildset_registry
// record's `cert`, docker's certs.d/<host>/ca.crt, buildkitd's ca); its
// key is never written, so nothing on disk can sign another certificate.
//
// Files, in one directory:
//
//	ca.crt    0644  the CA certificate
//	cert.pem  0644  the server certificate followed by the CA (the chain
//	                the server presents; trusting this file as a CA
//	                bundle, as zuul-registry users did, still works)
//	cert.key  0600  the server's private key, PKCS#8
//
// Ensure reuses these files when they still fit the host, and writes new
// ones otherwise.
package tlsgen
