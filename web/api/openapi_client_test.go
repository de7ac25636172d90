package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"esp/web/internal/apiclient"
	"esp/web/internal/webtest"
)

// clientPlanCSV is a plan file in the export's own form, with numbers that a
// float32 cannot hold (16777217, 123456789.125, 0.1) and fractions and
// exponents whose digits the CSV export must keep as written.
const clientPlanCSV = "interval_start,interval,skill,scheduling_unit,volume,aht_seconds,fte_required,fte_planned,service_level_pct,asa_seconds,occupancy_pct\n" +
	"2027-01-04,week,Billing,Manila,16777217,372.5,12.50,13.00,80.0,21,82.5\n" +
	"2027-01-11,week,Billing,Manila,1520,0.1,9007199254740992,1e3,99.99,0.000001,100\n" +
	"2027-01-04,week,\"Sales, Inbound\",Kraków,123456789.125,600,0.3,2.5e-3,0,3.14159265358979,0\n" +
	"2027-02-01,month,Retention,Austin,0,1,1,1,100,0,50\n" +
	"2027-01-05,day,Billing,Manila,1234567.891,300.25,1.0,4,75.125,16777217.5,66.6\n"

// clientRow is a row as the generated client must decode it. The numbers
// are float64 here whatever type the generator chose, so that a narrower
// one (float32 from a number without format: double) fails the comparison.
type clientRow struct {
	start, interval, skill, unit string
	// volume, aht_seconds, fte_required, fte_planned, service_level_pct,
	// asa_seconds, occupancy_pct
	nums [7]float64
}

// clientPlanRows is clientPlanCSV, every number exactly.
var clientPlanRows = []clientRow{
	{"2027-01-04", "week", "Billing", "Manila", [7]float64{16777217, 372.5, 12.5, 13, 80, 21, 82.5}},
	{"2027-01-11", "week", "Billing", "Manila", [7]float64{1520, 0.1, 9007199254740992, 1000, 99.99, 0.000001, 100}},
	{"2027-01-04", "week", "Sales, Inbound", "Kraków", [7]float64{123456789.125, 600, 0.3, 0.0025, 0, 3.14159265358979, 0}},
	{"2027-02-01", "month", "Retention", "Austin", [7]float64{0, 1, 1, 1, 100, 0, 50}},
	{"2027-01-05", "day", "Billing", "Manila", [7]float64{1234567.891, 300.25, 1, 4, 75.125, 16777217.5, 66.6}},
}

// asClientRow widens a generated row's fields for comparison.
func asClientRow(r apiclient.PlanRow) clientRow {
	return clientRow{r.IntervalStart.String(), string(r.Interval), r.Skill, r.SchedulingUnit, [7]float64{
		float64(r.Volume), float64(r.AhtSeconds), float64(r.FteRequired), float64(r.FtePlanned),
		float64(r.ServiceLevelPct), float64(r.AsaSeconds), float64(r.OccupancyPct)}}
}

// mustSameRows fails unless got holds exactly want, number for number.
func mustSameRows(tb testing.TB, what string, got []apiclient.PlanRow, want []clientRow) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range want {
		if g := asClientRow(got[i]); g != want[i] {
			tb.Fatalf("%s: row %d is\n%v\nwant\n%v", what, i, g, want[i])
		}
	}
}

// TestAPIJourneyThroughGeneratedClient drives a real server through the Go
// client that oapi-codegen generates from the OpenAPI document
// (web/internal/apiclient): the server URL from the document, both token
// exchanges, the plan list, one plan, every page of data, both exports and
// an error, with every number decoded exactly.
func TestAPIJourneyThroughGeneratedClient(t *testing.T) {
	env := webtest.NewEnv(t)
	plan := webtest.ImportCSV(t, env, env.Acme.ID, "FY2027 Exact", clientPlanCSV)
	keys := webtest.ActivatedKeys(t, env, env.Acme.ID)
	srv := httptest.NewServer(env.Server)
	defer srv.Close()
	ctx := context.Background()
	want := clientPlanRows

	// The client's base URL is the document's server, resolved against
	// where the document was fetched from.
	docURL := srv.URL + "/api/v1/openapi.json"
	resp, err := http.Get(docURL)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil || len(doc.Servers) != 1 {
		t.Fatalf("servers %+v (%v)", doc.Servers, err)
	}
	from, _ := url.Parse(docURL)
	rel, err := url.Parse(doc.Servers[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	client, err := apiclient.NewClientWithResponses(from.ResolveReference(rel).String())
	if err != nil {
		t.Fatal(err)
	}

	// Token exchange, JSON and OAuth.
	tok, err := client.ExchangeAccessKeyWithResponse(ctx, apiclient.ExchangeAccessKeyJSONRequestBody{
		AccessKeyId: keys.AccessKey, AccessKeySecret: keys.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	if tok.StatusCode() != http.StatusOK || tok.JSON200 == nil {
		t.Fatalf("exchange: %d %s", tok.StatusCode(), tok.Body)
	}
	if tok.JSON200.TokenType != apiclient.Bearer || tok.JSON200.ExpiresIn != 3600 || tok.Headers200.CacheControl != "no-store" {
		t.Fatalf("token %+v, headers %+v", *tok.JSON200, *tok.Headers200)
	}
	id, secret := keys.AccessKey, keys.SecretKey
	oauth, err := client.OauthTokenWithFormdataBodyWithResponse(ctx, apiclient.OauthTokenFormdataRequestBody{
		GrantType: apiclient.ClientCredentials, ClientId: &id, ClientSecret: &secret})
	if err != nil {
		t.Fatal(err)
	}
	if oauth.StatusCode() != http.StatusOK || oauth.JSON200 == nil || !strings.HasPrefix(oauth.JSON200.AccessToken, "esptk_") {
		t.Fatalf("OAuth exchange: %d %s", oauth.StatusCode(), oauth.Body)
	}
	bearer := func(token string) apiclient.RequestEditorFn {
		return func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			return nil
		}
	}
	auth := bearer(tok.JSON200.AccessToken)

	// The plan list and the plan.
	list, err := client.ListPlansWithResponse(ctx, bearer(oauth.JSON200.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	if list.StatusCode() != http.StatusOK || list.JSON200 == nil || len(list.JSON200.Plans) != 1 {
		t.Fatalf("plans: %d %s", list.StatusCode(), list.Body)
	}
	p := list.JSON200.Plans[0]
	if p.Id != plan.ID || p.Name != "FY2027 Exact" || p.Rows != 5 || p.Interval != apiclient.PlanIntervalMixed ||
		p.First == nil || p.First.String() != "2027-01-04" || p.Last == nil || p.Last.String() != "2027-02-01" {
		t.Fatalf("plan %+v", p)
	}
	one, err := client.GetPlanWithResponse(ctx, plan.ID, auth)
	if err != nil {
		t.Fatal(err)
	}
	if one.StatusCode() != http.StatusOK || one.JSON200 == nil || one.JSON200.Id != p.Id || one.JSON200.Rows != p.Rows ||
		!one.JSON200.CreatedAt.Equal(p.CreatedAt) || one.Headers200.CacheControl != "no-store" {
		t.Fatalf("one plan: %d %s", one.StatusCode(), one.Body)
	}

	// Every page of data, two rows at a time, until the cursor is null.
	var rows []apiclient.PlanRow
	limit := int32(2)
	params := &apiclient.GetPlanDataParams{Limit: &limit}
	pages := 0
	for {
		page, err := client.GetPlanDataWithResponse(ctx, plan.ID, params, auth)
		if err != nil {
			t.Fatal(err)
		}
		if page.StatusCode() != http.StatusOK || page.JSON200 == nil || page.JSON200.PlanId != plan.ID {
			t.Fatalf("page %d: %d %s", pages, page.StatusCode(), page.Body)
		}
		pages++
		rows = append(rows, page.JSON200.Rows...)
		if page.JSON200.NextCursor == nil {
			break
		}
		if pages > 3 {
			t.Fatal("the cursor never ends")
		}
		params.Cursor = page.JSON200.NextCursor
	}
	if pages != 3 {
		t.Fatalf("%d pages of 2 rows for 5 rows, want 3", pages)
	}
	mustSameRows(t, "data pages", rows, want)

	// The CSV export is the imported file, byte for byte.
	csvFormat, ndjsonFormat := apiclient.ExportPlanParamsFormatCsv, apiclient.ExportPlanParamsFormatNdjson
	csv, err := client.ExportPlanWithResponse(ctx, plan.ID, &apiclient.ExportPlanParams{Format: &csvFormat}, auth)
	if err != nil {
		t.Fatal(err)
	}
	if csv.StatusCode() != http.StatusOK || string(csv.Body) != clientPlanCSV {
		t.Fatalf("CSV export: %d\n%s\nwant\n%s", csv.StatusCode(), csv.Body, clientPlanCSV)
	}
	if h := csv.Headers200; h.ContentDisposition != `attachment; filename="plan-`+webtest.Itoa(plan.ID)+`.csv"` || h.Vary != "Accept, Accept-Encoding" || h.ETag == "" || h.CacheControl != "no-store" {
		t.Fatalf("CSV export headers %+v", *h)
	}

	// HEAD: the export's headers, no row; an Accept the export cannot
	// serve: a typed 406.
	head, err := client.HeadExportPlanWithResponse(ctx, plan.ID, nil, auth)
	if err != nil {
		t.Fatal(err)
	}
	if head.StatusCode() != http.StatusOK || len(head.Body) != 0 || head.Headers200.ContentDisposition != csv.Headers200.ContentDisposition || head.Headers200.Vary != "Accept, Accept-Encoding" || !strings.HasPrefix(head.Headers200.ETag, `"csv-`) {
		t.Fatalf("HEAD export: %d %+v %q", head.StatusCode(), head.Headers200, head.Body)
	}
	acceptJSON := func(_ context.Context, req *http.Request) error {
		req.Header.Set("Accept", "application/json")
		return nil
	}
	refused, err := client.ExportPlanWithResponse(ctx, plan.ID, nil, auth, acceptJSON)
	if err != nil {
		t.Fatal(err)
	}
	if refused.StatusCode() != http.StatusNotAcceptable || refused.JSON406 == nil || refused.JSON406.Error.Code != apiclient.ErrorErrorCodeNotAcceptable {
		t.Fatalf("export with Accept: application/json: %d %s", refused.StatusCode(), refused.Body)
	}

	// The NDJSON export: the stored digits on the wire, exact numbers in
	// the generated type.
	nd, err := client.ExportPlanWithResponse(ctx, plan.ID, &apiclient.ExportPlanParams{Format: &ndjsonFormat}, auth)
	if err != nil {
		t.Fatal(err)
	}
	if nd.StatusCode() != http.StatusOK || nd.Headers200.ContentDisposition != `attachment; filename="plan-`+webtest.Itoa(plan.ID)+`.ndjson"` {
		t.Fatalf("NDJSON export: %d %+v", nd.StatusCode(), nd.Headers200)
	}
	for _, digits := range []string{`"volume":16777217,`, `"fte_required":12.50,`, `"fte_planned":1e3,`, `"volume":123456789.125,`} {
		if !bytes.Contains(nd.Body, []byte(digits)) {
			t.Fatalf("NDJSON export lacks %s:\n%s", digits, nd.Body)
		}
	}
	var ndRows []apiclient.PlanRow
	dec := json.NewDecoder(bytes.NewReader(nd.Body))
	for {
		var r apiclient.PlanRow
		if err := dec.Decode(&r); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		ndRows = append(ndRows, r)
	}
	mustSameRows(t, "NDJSON export", ndRows, want)

	// Errors come back typed.
	missing, err := client.GetPlanWithResponse(ctx, plan.ID+1000, auth)
	if err != nil {
		t.Fatal(err)
	}
	if missing.StatusCode() != http.StatusNotFound || missing.JSON404 == nil || missing.JSON404.Error.Code != apiclient.ErrorErrorCodeNotFound {
		t.Fatalf("missing plan: %d %s", missing.StatusCode(), missing.Body)
	}
	anon, err := client.ListPlansWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if anon.StatusCode() != http.StatusUnauthorized || anon.JSON401 == nil || anon.JSON401.Error.Code != apiclient.ErrorErrorCodeUnauthorized ||
		!strings.HasPrefix(anon.Headers401.WWWAuthenticate, `Bearer realm="esp"`) {
		t.Fatalf("no token: %d %+v %s", anon.StatusCode(), anon.Headers401, anon.Body)
	}
}
