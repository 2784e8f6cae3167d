package servecmd

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"golang.org/x/time/rate"

	"github.com/tetherflow/tether/actions"
	"github.com/tetherflow/tether/adapters/demo"
	"github.com/tetherflow/tether/adapters/httpapi"
	"github.com/tetherflow/tether/adapters/sessions/devices"
	"github.com/tetherflow/tether/adapters/sessions/memory"
	"github.com/tetherflow/tether/adapters/web"
	"github.com/tetherflow/tether/host"
	"github.com/tetherflow/tether/internal/cli"
	"github.com/tetherflow/tether/internal/fake"
	"github.com/tetherflow/tether/ui"
)

// The web pages in a real browser: headless Chromium (Debian's chromium
// package, which .ci/run installs) driven through the DevTools protocol,
// against tether serve's handler on a test server with the embedded demo
// portal and a fixed clock. A person's paths are typed and clicked; each
// page's text is held to a golden file (testdata/web/PATH.txt), each page
// is screenshot into the test's temporary directory, and -update rewrites
// the golden files and the screenshots the README shows (docs/screens).
//
// Without Chromium the test skips, unless TETHER_REQUIRE_BROWSER=1 says to
// skip it.

// webFixture is tether serve's handler — the API and the web pages — over
// the shipped flows, the demo world, a memory store and a fake clock.
type webFixture struct {
	clock    *fake.Clock
	world    *demo.World
	url      string
	log      *fake.Log
	catalogs *ui.Catalogs
}

func newWebFixture(t *testing.T) *webFixture {
	t.Helper()
	fx := &webFixture{clock: fake.NewClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)), log: &fake.Log{}}
	env := &cli.Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	cat, err := cli.LoadFlows(env, "../../flows", nil)
	if err != nil {
		t.Fatal(err)
	}
	portal, err := demo.LoadFixture(demo.FixtureFile(cat.Dir()))
	if err != nil {
		t.Fatal(err)
	}
	// As tether serve does: the devices' connections in the session store.
	store := memory.New()
	creds := devices.Stores(store, nil)
	fx.world, err = demo.New(portal, demo.Options{Now: fx.clock.Now, Seed: 1, Store: func(device string) actions.CredentialStore { return creds(device) }})
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.New(host.Config{Catalog: cat, Store: store, Actions: fx.world.Actions, Now: fx.clock.Now,
		Rand: fake.Rand(1), IdleTimeout: 30 * time.Minute, Secrets: true})
	if err != nil {
		t.Fatal(err)
	}
	log := httpapi.NewLogger(fx.log, slog.LevelInfo)
	cats, err := cli.Catalogs(env, cat)
	if err != nil {
		t.Fatal(err)
	}
	locales := func() *ui.Catalogs { return cats }
	api, err := httpapi.New(httpapi.Config{Host: h, Log: log, CreateRate: rate.Inf, AnswerRate: rate.Inf, Catalogs: locales, Now: fx.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := web.New(web.Config{Host: h, Now: fx.clock.Now, Log: log, StartRate: rate.Inf, AnswerRate: rate.Inf, Catalogs: locales})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(serveHandler(api, pages))
	t.Cleanup(srv.Close)
	fx.url = srv.URL
	fx.catalogs = cats
	return fx
}

// chromiumPath returns the browser to run: Chromium on PATH. Without one
// the test skips, saying how to run it, as the PostgreSQL tests do without
// their database — unless TETHER_REQUIRE_BROWSER=1, which .ci/run sets
// (after installing Chromium): then it fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const how = "the web pages' browser tests need Chromium: apt-get install -y chromium"
	if os.Getenv("TETHER_REQUIRE_BROWSER") == "1" {
		t.Fatal(how + " (TETHER_REQUIRE_BROWSER=1)")
	}
	t.Skip(how + "; TETHER_REQUIRE_BROWSER=1 makes its absence a failure, as in CI")
	return ""
}

// startBrowser starts headless Chromium with a fresh profile for the
// whole test; each path gets a browser context of its own (its own
// cookies) in it.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(720, 600),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// person drives one browser tab through the pages, recording what each
// page says.
type person struct {
	t       *testing.T
	ctx     context.Context
	fx      *webFixture
	path    string
	pages   bytes.Buffer // the golden text
	n       int
	secrets []string // what was typed that no page may show
	axe     string   // axe-core's script, run on every page; "" for none
	// locale is the locale every page must be in (<html lang>).
	locale string
	noJS   bool // the page's scripts are off
}

func newPerson(t *testing.T, browser context.Context, fx *webFixture, path string, js bool) *person {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	p := &person{t: t, ctx: ctx, fx: fx, path: path, axe: axeScript(t), locale: "en"}
	p.do(chromedp.EmulateViewport(720, 600),
		// axe-core is injected into each page through the DevTools
		// protocol: the pages' CSP allows no script but their own.
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
			return err
		}),
		// A headless tab is not focused; emulate focus so that autofocus
		// and the focus ring behave as in a window a person looks at.
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
			return err
		}))
	if !js {
		p.noJS = true
		p.scripts(false)
	}
	return p
}

func (p *person) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v\npages so far:\n%s", p.path, err, p.pages.String())
	}
}

func run[T any](p *person, a chromedp.Action[T]) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, a)
	if err != nil {
		p.t.Fatalf("%s: %v\npages so far:\n%s", p.path, err, p.pages.String())
	}
	return v
}

// open opens path and records the page as step.
func (p *person) open(path, step string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.fx.url + path))
	p.record(step)
}

// reload reloads the page (a GET: the form is not posted again).
func (p *person) reload(step string) {
	p.t.Helper()
	p.do(chromedp.Reload())
	p.record(step)
}

// fill types text into the input sel, as a person does (key by key).
func (p *person) fill(sel, text string) {
	p.t.Helper()
	p.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// secret fills in a password or a code: no page may show it after.
func (p *person) secret(sel, text string) {
	p.t.Helper()
	p.secrets = append(p.secrets, text)
	p.fill(sel, text)
}

// click clicks the button sel and records the page it leads to.
func (p *person) click(sel, step string) {
	p.t.Helper()
	_ = run(p, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel))))
	p.record(step)
}

// button returns the selector of the button labelled label.
func button(label string) string {
	return fmt.Sprintf(`//button[normalize-space(.)=%q]`, label)
}

// clickLabel clicks the button labelled label.
func (p *person) clickLabel(label, step string) {
	p.t.Helper()
	_ = run(p, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(label)))
	p.record(step)
}

// key presses a key; enter is the one that sends a form, so it waits for
// the page it leads to and records it.
func (p *person) key(k string, step string) {
	p.t.Helper()
	if step == "" {
		p.do(chromedp.KeyEvent(k))
		return
	}
	_ = run(p, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.KeyEvent(k)))
	p.record(step)
}

// tabTo presses Tab until the focus is on each element want describes
// in turn (as focused does), failing after ten presses.
func (p *person) tabTo(want ...string) {
	p.t.Helper()
	for _, w := range want {
		for i := 0; ; i++ {
			if i == 10 {
				p.t.Fatalf("%s: ten Tabs did not reach %q (at %q)", p.path, w, p.focused())
			}
			p.key(kb.Tab, "")
			if strings.HasPrefix(p.focused(), w) {
				break
			}
		}
	}
}

// focused describes the element that has the focus.
func (p *person) focused() string {
	return run(p, chromedp.Evaluate[string](`(function(e){return e.tagName.toLowerCase()+(e.id?"#"+e.id:"")+(e.value&&e.tagName==="BUTTON"?"["+e.value+"]":"")+" "+e.textContent.trim().slice(0,40)})(document.activeElement)`))
}

// js evaluates a JavaScript expression in the page.
func js[T any](p *person, expr string) T {
	p.t.Helper()
	return run(p, chromedp.Evaluate[T](expr))
}

// mainText is the JavaScript that reads the page's main element as a
// person sees it, a select as the option it shows (the country select
// lists every country).
const mainText = `(() => {
	const main = document.querySelector("main");
	let text = main.innerText;
	for (const s of main.querySelectorAll("select")) {
		const shown = s.selectedOptions.length ? s.selectedOptions[0].text : "";
		text = text.replace(Array.from(s.options, o => o.text).join("\n"), "[" + shown + " ▾ one of " + s.options.length + "]");
	}
	return text;
})()`

// countdownRE finds the numbers a running countdown changes.
var (
	countdownRE = regexp.MustCompile(`\b\d+ [sš]`)
	digitsRE    = regexp.MustCompile(`\d+`)
)

// record adds the page's text to the golden text, checks that it shows
// nothing typed, and screenshots it.
func (p *person) record(step string) {
	p.t.Helper()
	p.n++
	title := run(p, chromedp.Title())
	text := run(p, chromedp.Evaluate[string](mainText))
	// The script counts the wait down in real time: the golden text has
	// the wait as the server gave it (data-wait), the count as N.
	text = countdownRE.ReplaceAllStringFunc(text, func(s string) string {
		return digitsRE.ReplaceAllString(s, "N")
	})
	fmt.Fprintf(&p.pages, "## %d %s\ntitle: %s\n", p.n, step, title)
	if waits := js[[]string](p, `Array.from(document.querySelectorAll("button[data-wait]"), b => b.value + " in " + b.dataset.wait + " s")`); len(waits) > 0 {
		fmt.Fprintf(&p.pages, "waits: %s\n", strings.Join(waits, ", "))
	}
	fmt.Fprintf(&p.pages, "%s\n\n", strings.TrimSpace(text))
	if lang := js[string](p, `document.documentElement.lang`); lang != p.locale {
		p.t.Errorf("%s step %d %s: <html lang=%q>, want %q", p.path, p.n, step, lang, p.locale)
	}
	if p.locale != "en" {
		seen := js[string](p, `document.title + "\n" + document.body.innerText`)
		for _, w := range englishWords {
			if strings.Contains(strings.ToLower(seen), strings.ToLower(w)) {
				p.t.Errorf("%s step %d %s: the page in %s says %q:\n%s", p.path, p.n, step, p.locale, w, seen)
			}
		}
	}
	p.accessible(step)
	html := run(p, chromedp.OuterHTML(chromedp.CSS("html")))
	for _, s := range p.secrets {
		if strings.Contains(html, s) {
			p.t.Errorf("%s step %d %s: the page holds %q, which was typed", p.path, p.n, step, s)
		}
	}
	url := run(p, chromedp.Location())
	if strings.Contains(url, "?") && !strings.Contains(url, "?country=") {
		p.t.Errorf("%s step %d: URL %s", p.path, p.n, url)
	}
	shot := run(p, chromedp.FullScreenshot(100))
	name := fmt.Sprintf("%s-%02d-%s.png", p.path, p.n, step)
	if err := os.WriteFile(filepath.Join(p.t.TempDir(), name), shot, 0o644); err != nil {
		p.t.Fatal(err)
	}
	if doc := docScreens[p.path+"/"+step]; doc != "" && updating() {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "screens", doc), shot, 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
}

// docScreens are the screenshots the README shows: path/step -> file in
// docs/screens.
var docScreens = map[string]string{
	"plain/start":             "start.png",
	"plain/sign-in":           "sign-in.png",
	"captcha/captcha":         "captcha.png",
	"sms/code":                "code.png",
	"not-received/help":       "code-help.png",
	"sms/consent":             "consent.png",
	"sms/choose-subscription": "choose-subscription.png",
	"sms/connected":           "connected-family.png",
	"free/connected":          "connected-free.png",
	"de-sms/consent":          "consent-de.png",
	"en-XA-sms/code":          "code-en-XA.png",
	"not-received/declined":   "declined.png",
	"signup/create-account":   "create-account.png",
}

var update = flag.Bool("update", false, "rewrite the golden pages and the screenshots in docs/screens")

// updating reports whether -update was given.
func updating() bool { return *update }

// golden compares the pages' text with testdata/web/PATH.txt.
func (p *person) golden() {
	p.t.Helper()
	path := filepath.Join("testdata", "web", p.path+".txt")
	if updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			p.t.Fatal(err)
		}
		if err := os.WriteFile(path, p.pages.Bytes(), 0o644); err != nil {
			p.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		p.t.Fatalf("%v (run with -update to write it)", err)
	}
	if got := p.pages.String(); got != string(want) {
		p.t.Errorf("%s: the pages differ from %s (run with -update and review the diff); got:\n%s", p.path, path, got)
	}
	if logs := p.fx.log.String(); p.secrets != nil {
		for _, s := range p.secrets {
			if strings.Contains(logs, s) {
				p.t.Errorf("%s: the log holds %q", p.path, s)
			}
		}
	}
}

// signIn opens the start page at path, goes on to the sign-in page and
// signs in; step names the page it leads to.
func (p *person) signIn(path, email, password, step string) {
	p.t.Helper()
	p.open(path, "start")
	p.click("form.start button", "sign-in")
	p.fill("#field-email", email)
	p.secret("#field-password", password)
	p.clickLabel(button("Sign in"), step)
}

// mustSay fails unless the page's main text has every want.
func (p *person) mustSay(want ...string) {
	p.t.Helper()
	text := run(p, chromedp.Text(chromedp.CSS("main")))
	for _, w := range want {
		if !strings.Contains(text, w) {
			p.t.Errorf("%s step %d: the page does not say %q:\n%s", p.path, p.n, w, text)
		}
	}
}

func TestWebBrowser(t *testing.T) {
	browser := startBrowser(t)
	paths := []struct {
		name string
		js   bool
		walk func(p *person)
	}{
		{"plain", true, func(p *person) {
			p.open("/", "start")
			// The check finds what it is for: an image with no text.
			if p.axe != "" {
				js[bool](p, `document.querySelector("main").insertAdjacentHTML("beforeend", "<img src=/web/assets/icon.svg id=probe>"), true`)
				found := false
				for _, v := range p.runAxe() {
					found = found || v.ID == "image-alt"
				}
				if !found {
					p.t.Errorf("axe did not find an image without alt text")
				}
				js[bool](p, `document.getElementById("probe").remove(), true`)
			}
			p.click("form.start button", "sign-in")
			p.fill("#field-email", "bundle@example.com")
			p.secret("#field-password", "Bundle-pass-2024")
			p.clickLabel(button("Sign in"), "connected")
			p.mustSay("Connected to bundle@example.com — Personal")
		}},
		{"sms", true, func(p *person) {
			p.open("/?country=DE", "start")
			if got := js[string](p, `document.getElementById("field-country").value`); got != "DE" {
				p.t.Errorf("?country=DE selected %q", got)
			}
			p.click("form.start button", "sign-in")
			p.fill("#field-email", "family@example.com")
			p.secret("#field-password", "Family-pass-2024")
			p.clickLabel(button("Sign in"), "code")
			p.mustSay("Enter the code we sent to +49 *** *** 12 34")
			if !js[bool](p, `document.querySelector("button[value=resend]").disabled`) {
				p.t.Errorf("Get a new code is enabled during the cooldown")
			}
			p.secret("#field-code", "000000")
			p.clickLabel(button("Confirm"), "wrong-code")
			p.mustSay("That code is not right. 2 attempts left.")
			p.fx.clock.Add(30 * time.Second)
			p.reload("after-cooldown")
			if js[bool](p, `document.querySelector("button[value=resend]").disabled`) {
				p.t.Errorf("Get a new code is disabled after the cooldown")
			}
			first := p.fx.world.LastCode()
			p.clickLabel(button("Get a new code"), "new-code")
			p.mustSay("A new code was sent. The previous code no longer works.")
			code := p.fx.world.LastCode()
			if code == first {
				p.t.Fatalf("no new code was sent")
			}
			p.secret("#field-code", code)
			p.clickLabel(button("Confirm"), "consent")
			p.mustSay("Regulation on data provisioning", "Under the EU General Data Protection Regulation (GDPR), as the German text", "Read the regulation (version 2025.1-de)")
			p.clickLabel(button("Accept and connect"), "choose-subscription")
			p.click(`button[aria-describedby="pick-1"]`, "connected")
			p.mustSay("Connected to family@example.com — Family")
		}},
		{"not-received", true, func(p *person) {
			p.signIn("/", "family@example.com", "Family-pass-2024", "code")
			p.clickLabel(button("Didn't receive the code"), "help")
			p.mustSay("Didn't receive the code?", "the phone is switched on and has mobile signal")
			p.clickLabel(button("Back to the code"), "code-again")
			p.secret("#field-code", p.fx.world.LastCode())
			p.clickLabel(button("Confirm"), "consent")
			p.clickLabel(button("Decline"), "declined")
			p.mustSay("This device is not connected", "You declined the regulation")
		}},
		{"free", true, func(p *person) {
			p.open("/", "start")
			p.do(chromedp.SetValue(chromedp.CSS("#field-country"), "US"))
			p.click("form.start button", "sign-in")
			p.fill("#field-email", "free@example.com")
			p.secret("#field-password", "Free-pass-2024")
			p.clickLabel(button("Sign in"), "connected")
			p.mustSay("Connected to free@example.com — Free")
		}},
		{"signup", true, func(p *person) {
			p.open("/", "start")
			p.click("form.start button", "sign-in")
			p.clickLabel(button("Create an account"), "create-account")
			p.fill("#field-email", "new.person@example.com")
			p.secret("#field-password", "Bright-sky-2031")
			p.fill("#field-country", "US")
			p.clickLabel(button("Create account"), "created")
			p.mustSay("Your account was created. Sign in with it to connect this device.")
			p.fill("#field-email", "new.person@example.com")
			p.fill("#field-password", "Bright-sky-2031")
			p.clickLabel(button("Sign in"), "connected")
			p.mustSay("Connected to new.person@example.com — Free")
		}},
		{"captcha", true, func(p *person) {
			p.open("/", "start")
			p.click("form.start button", "sign-in")
			// After the first refusal the address is filled in again.
			p.fill("#field-email", "free@example.com")
			for i := range 3 {
				p.secret("#field-password", fmt.Sprintf("Wrong-pass-%d", 1000+i))
				p.clickLabel(button("Sign in"), "wrong-password")
			}
			p.mustSay("CAPTCHA answer", "What is ")
			answer, ok := p.fx.world.Lookup("captcha")
			if !ok {
				p.t.Fatal("no CAPTCHA was asked for")
			}
			p.record("captcha")
			p.secret("#field-password", "Free-pass-2024")
			p.fill("#field-captcha", answer)
			p.clickLabel(button("Sign in"), "connected")
			p.mustSay("Connected to free@example.com — Free")
		}},
		// With JavaScript off every form still works: sign-in, the code,
		// the regulation and a licence's Select.
		{"no-javascript", false, func(p *person) {
			p.signIn("/?country=DE", "family@example.com", "Family-pass-2024", "code")
			time.Sleep(1500 * time.Millisecond)
			if got := js[string](p, `document.querySelector("button[value=resend]").textContent`); got != "Get a new code (30 s)" {
				p.t.Errorf("with scripts off the button reads %q: a script ran", got)
			}
			p.secret("#field-code", p.fx.world.LastCode())
			p.clickLabel(button("Confirm"), "consent")
			p.clickLabel(button("Accept and connect"), "choose-subscription")
			p.click(`button[aria-describedby="pick-1"]`, "connected")
			p.mustSay("Connected to family@example.com — Family")
		}},
		// Keyboard only: Tab to move, Enter to send, from the start page
		// to the result.
		{"keyboard", true, func(p *person) {
			p.open("/?country=DE", "start")
			p.tabTo("button Continue")
			p.key(kb.Enter, "sign-in")
			if f := p.focused(); !strings.HasPrefix(f, "input#field-email") {
				p.t.Fatalf("the sign-in page starts with the focus on %q", f)
			}
			p.key("family@example.com", "")
			p.key(kb.Tab, "")
			if f := p.focused(); !strings.HasPrefix(f, "input#field-password") {
				p.t.Fatalf("Tab from the email address went to %q", f)
			}
			p.secrets = append(p.secrets, "Family-pass-2024")
			p.key("Family-pass-2024", "")
			p.key(kb.Enter, "code")
			if f := p.focused(); !strings.HasPrefix(f, "input#field-code") {
				p.t.Fatalf("the code page starts with the focus on %q", f)
			}
			code := p.fx.world.LastCode()
			p.secrets = append(p.secrets, code)
			p.key(code, "")
			p.key(kb.Enter, "consent")
			p.tabTo("button[accept] Accept and connect")
			p.key(kb.Enter, "choose-subscription")
			p.tabTo("button[select] Select", "button[select] Select")
			p.key(kb.Enter, "connected")
			p.mustSay("Connected to family@example.com — Family")
		}},
		// The script counts the wait down and enables "Get a new code"
		// when it is over, without a reload.
		{"countdown", true, func(p *person) {
			p.signIn("/", "family@example.com", "Family-pass-2024", "code")
			p.fx.clock.Add(28 * time.Second)
			p.reload("two-seconds-left")
			if !js[bool](p, `document.querySelector("button[value=resend]").disabled`) {
				p.t.Fatalf("Get a new code is enabled with 2s to wait")
			}
			deadline := time.Now().Add(10 * time.Second)
			for js[bool](p, `document.querySelector("button[value=resend]").disabled`) {
				if time.Now().After(deadline) {
					p.t.Fatalf("the countdown did not enable the button in 10s")
				}
				time.Sleep(100 * time.Millisecond)
			}
			if got := js[string](p, `document.querySelector("button[value=resend]").textContent`); got != "Get a new code" {
				p.t.Errorf("after the countdown the button reads %q", got)
			}
			p.mustSay("“Get a new code” is available now.")
			p.fx.clock.Add(2 * time.Second)
			p.clickLabel(button("Get a new code"), "new-code")
			p.mustSay("A new code was sent.")
		}},
	}
	for _, c := range paths {
		t.Run(c.name, func(t *testing.T) {
			fx := newWebFixture(t)
			p := newPerson(t, browser, fx, c.name, c.js)
			c.walk(p)
			p.golden()
		})
	}
}

// axeScript returns axe-core's script (the npm package axe-core, which
// .ci/run installs and names in TETHER_AXE), or "" when it is not there:
// then the pages are not checked for accessibility, unless
// TETHER_REQUIRE_BROWSER=1 says that it must be.
func axeScript(t *testing.T) string {
	t.Helper()
	path := os.Getenv("TETHER_AXE")
	if path == "" {
		path = filepath.Join("..", "..", ".cache", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		const how = "axe-core checks every page: npm install --prefix .cache/axe axe-core@4, or TETHER_AXE=PATH/axe.min.js"
		if os.Getenv("TETHER_REQUIRE_BROWSER") == "1" {
			t.Fatalf("%s (%v)", how, err)
		}
		t.Logf("%s; not checked (%v)", how, err)
		return ""
	}
	return string(data)
}

// axeViolation is what the test keeps of one of axe-core's violations.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// accessible runs axe-core on the page (WCAG 2.1 A and AA, and its best
// practices) and fails the test for each violation.
func (p *person) accessible(step string) {
	p.t.Helper()
	for _, v := range p.runAxe() {
		p.t.Errorf("%s step %d %s: axe: %s (%s): %s at %s", p.path, p.n, step, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", "))
	}
}

// runAxe returns axe-core's violations on the page; none without axe.
func (p *person) runAxe() []axeViolation {
	p.t.Helper()
	if p.axe == "" {
		return nil
	}
	if p.noJS {
		// axe runs in the page: let it, for as long as it checks. The
		// page's own script, skipped when it loaded, stays skipped.
		p.scripts(true)
		defer p.scripts(false)
	}
	if !js[bool](p, "typeof axe === \"object\"") {
		_ = js[bool](p, p.axe+";true")
	}
	return run(p, chromedp.Evaluate[[]axeViolation](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.map(n => n.target.join(" "))})))`,
		chromedp.EvalAwaitPromise))
}

// acceptLanguage has the browser send Accept-Language: lang.
func (p *person) acceptLanguage(lang string) {
	p.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}})
		return err
	}))
}

// scripts turns the page's JavaScript on or off.
func (p *person) scripts(on bool) {
	p.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	}))
}

// englishWords are the source's words a page in another locale must not
// show: were one there, a text would have missed the catalogs.
var englishWords = []string{"Sign in", "Enter the code", "Confirm", "Get a new code", "Regulation on data provisioning",
	"Accept and connect", "Choose subscription", "Select", "Connected to", "Continue", "Country or region",
	"There is a problem", "Didn't receive", "Decline", "This device", "Start again", "Password", "Email address", "seconds",
	"was declined", "not connected"}

// TestWebBrowserLocales takes the web paths in German (the browser's
// Accept-Language) and in the pseudo-locale (chosen with the language
// switch): every page in the locale, <html lang> saying so, no word of
// the source left, axe-core content with every page.
func TestWebBrowserLocales(t *testing.T) {
	browser := startBrowser(t)
	for _, locale := range []string{"de", "en-XA"} {
		paths := []struct {
			name string
			walk func(p *person)
		}{
			{"sms", func(p *person) {
				p.openIn("/?country=DE", locale)
				p.click("form.start button", "sign-in")
				p.fill("#field-email", "family@example.com")
				p.secret("#field-password", "Family-pass-2024")
				p.click("button[value=continue]", "code")
				if !js[bool](p, `document.querySelector("button[value=resend]").disabled`) {
					p.t.Errorf("Get a new code is enabled during the cooldown")
				}
				// Three digits: the browser holds the form to the
				// code's pattern, and sends nothing (so they are no
				// secret to look for in the log).
				p.fill("#field-code", "123")
				p.do(chromedp.Click(chromedp.CSS("button[value=continue]")))
				if !js[bool](p, `document.getElementById("field-code").validity.patternMismatch`) {
					p.t.Errorf("a 3-digit code fits the field's pattern")
				}
				p.record("short-code")
				js[bool](p, `document.getElementById("field-code").value = "", true`)
				p.secret("#field-code", "000000")
				p.click("button[value=continue]", "wrong-code")
				p.fx.clock.Add(30 * time.Second)
				p.reload("after-cooldown")
				p.click("button[value=resend]", "new-code")
				p.secret("#field-code", p.fx.world.LastCode())
				p.click("button[value=continue]", "consent")
				p.click("button[value=accept]", "choose-subscription")
				p.click(`button[aria-describedby="pick-1"]`, "connected")
			}},
			{"declined", func(p *person) {
				p.openIn("/?country=FR", locale)
				p.click("form.start button", "sign-in")
				p.fill("#field-email", "solo@example.com")
				p.secret("#field-password", "Solo-pass-2024")
				p.click("button[value=continue]", "consent")
				p.click("button[value=decline]", "declined")
			}},
			{"captcha", func(p *person) {
				p.openIn("/", locale)
				p.click("form.start button", "sign-in")
				p.fill("#field-email", "free@example.com")
				for i := range 3 {
					p.secret("#field-password", fmt.Sprintf("Wrong-pass-%d", 1000+i))
					p.click("button[value=continue]", "wrong-password")
				}
				answer, ok := p.fx.world.Lookup("captcha")
				if !ok {
					p.t.Fatal("no CAPTCHA was asked for")
				}
				p.secret("#field-password", "Free-pass-2024")
				p.fill("#field-captcha", answer)
				p.click("button[value=continue]", "connected")
			}},
		}
		for _, c := range paths {
			t.Run(locale+"/"+c.name, func(t *testing.T) {
				fx := newWebFixture(t)
				p := newPerson(t, browser, fx, locale+"-"+c.name, true)
				p.locale = locale
				c.walk(p)
				p.golden()
			})
		}
	}
}

// openIn opens path in locale: German as the browser's language, the
// pseudo-locale with the pages' language switch.
func (p *person) openIn(path, locale string) {
	p.t.Helper()
	if locale == "de" {
		p.acceptLanguage("de-DE,de;q=0.9,en;q=0.5")
		p.open(path, "start")
		return
	}
	p.locale = "en"
	p.open(path, "start-en")
	p.locale = locale
	p.click(`a[hreflang="`+locale+`"]`, "start")
}
