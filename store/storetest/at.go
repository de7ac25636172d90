package storetest

// At is the PostgreSQL database at url as it stands, neither made fresh
// nor removed, for a test that reaches its database a way of its own
// (through a proxy, say).
func At(url string) *Database { return &Database{url: url} }
