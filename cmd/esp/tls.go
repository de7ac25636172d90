package main

import "crypto/tls"

// intermediateSuites are the TLS 1.2 cipher suites of Mozilla's
// "intermediate" profile: ECDHE key exchange with an AEAD cipher only, so
// no CBC mode and no SHA-1 MAC. TLS 1.3's suites are all AEAD and Go picks
// them itself.
var intermediateSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// serverTLS is the HTTPS listener's configuration: cert, TLS 1.2 or later,
// and in TLS 1.2 only the intermediate profile's suites.
func serverTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		CipherSuites: intermediateSuites,
	}
}
