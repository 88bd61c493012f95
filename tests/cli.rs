//! The binary as a user meets it: exit codes, messages, reports.

use std::path::PathBuf;
use std::process::Command;

fn pushsim(args: &[&str]) -> (i32, String) {
    pushsim_ci(args, false)
}

/// Runs the binary as on a developer's machine, or (`ci`) under `CI=true`.
fn pushsim_ci(args: &[&str], ci: bool) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pushsim"));
    cmd.args(args).env_remove("CI");
    if ci {
        cmd.env("CI", "true");
    }
    let out = cmd.output().expect("the binary runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// A scratch folder `<tmp>/pushsim-cli-<name>/scenarios/` with the given files.
fn scratch(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = std::env::temp_dir().join(format!("pushsim-cli-{name}-{}", std::process::id()));
    let dir = root.join("scenarios");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (f, text) in files {
        std::fs::write(dir.join(f), text).expect("write");
    }
    dir
}

const GOOD: &str = "version: 1
name: offline push
about: one push to a killed device
rules: [PRS-06]
start: 2026-03-02T09:00:00+08:00
app:
  certs: { fcm-prod: { vendor: fcm } }
users:
  alice: {}
  bob:
    devices:
      phone: { platform: android, vendor: fcm, cert: fcm-prod }
steps:
  - at: \"09:00\"
    login: bob/phone
  - at: \"09:01\"
    kill: bob/phone
  - at: \"09:10\"
    send: { from: alice, to: bob, text: \"hi\" }
expect:
";

/// GOOD with the expectation it meets.
fn passing() -> String {
    format!("{GOOD}  - pushes: {{ device: bob/phone, count: 1 }}\n")
}

#[test]
fn a_passing_scenario_without_a_snapshot_says_so_and_exits_0() {
    let text = passing();
    let dir = scratch("pass", &[("a.yaml", &text)]);
    let (code, out) = pushsim(&["run", dir.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("no snapshot yet") && out.contains("1 without a snapshot"),
        "{out}"
    );
}

#[test]
fn under_ci_a_scenario_without_a_snapshot_fails() {
    let text = passing();
    let dir = scratch("ci-missing", &[("a.yaml", &text)]);
    let (code, out) = pushsim_ci(&["run", dir.to_str().expect("utf-8")], true);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("no snapshot") && out.contains("--accept"),
        "{out}"
    );
}

#[test]
fn accept_writes_a_snapshot_the_next_run_matches_and_removes_insta_leftovers() {
    let text = passing();
    let dir = scratch("accept", &[("a.yaml", &text)]);
    let snaps = dir.parent().unwrap().join("snapshots");
    std::fs::create_dir_all(&snaps).unwrap();
    std::fs::write(snaps.join("a.snap.new"), "stale").unwrap();
    let path = dir.to_str().expect("utf-8");
    let (code, out) = pushsim(&["run", path, "--accept"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("1 snapshots accepted") && out.contains("+scenario: a"),
        "{out}"
    );
    let written = std::fs::read_to_string(snaps.join("a.snap")).unwrap();
    assert!(written.starts_with("---\nsource: tests/corpus.rs\ndescription: offline push\ninput_file: scenarios/a.yaml\n---\nscenario: a\n"), "{written}");
    assert!(
        !snaps.join("a.snap.new").exists(),
        "the pending .snap.new is gone"
    );
    let (code, out) = pushsim_ci(&["run", path], true);
    assert_eq!(code, 0, "the accepted snapshot matches: {out}");
    // A changed outcome shows a unified diff, and --accept refuses while
    // expect: fails.
    let changed = format!(
        "{}  - pushes: {{ device: bob/phone, count: 2 }}\n",
        GOOD.replace("\"hi\"", "\"hey\"")
    );
    std::fs::write(dir.join("a.yaml"), changed).unwrap();
    let (code, out) = pushsim(&["run", path, "--accept"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("expected 2 push(es)"), "{out}");
    let diff_line = out.lines().find(|l| {
        l.trim_start()
            .starts_with("-  - \"2026-03-02T09:10:00+08:00\" \"step 2")
    });
    assert!(diff_line.is_some(), "a unified diff of the snapshot: {out}");
    assert_eq!(
        std::fs::read_to_string(snaps.join("a.snap")).unwrap(),
        written,
        "not accepted while expect: fails"
    );
}

#[test]
fn a_failing_expectation_exits_1_with_a_repro_line_and_a_junit_failure() {
    let text = format!("{GOOD}  - pushes: {{ device: bob/phone, count: 2 }}\n");
    let dir = scratch("fail", &[("a.yaml", &text)]);
    let junit = dir.join("report.xml");
    let (code, out) = pushsim(&[
        "run",
        dir.to_str().expect("utf-8"),
        "--junit",
        junit.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("expected 2 push(es) to bob/phone; got 1"),
        "{out}"
    );
    assert!(
        out.contains("repro: pushsim run") && out.contains("--seed"),
        "{out}"
    );
    let xml = std::fs::read_to_string(&junit).expect("report written");
    assert!(
        xml.contains("tests=\"1\" failures=\"1\"") && xml.contains("<failure message="),
        "{xml}"
    );
}

#[test]
fn a_file_that_does_not_load_exits_2_with_its_position_and_the_rest_still_runs() {
    let good = passing();
    let bad = good.replace("text: \"hi\"", "txt: \"hi\"");
    let dir = scratch("broken", &[("a_bad.yaml", &bad), ("b_good.yaml", &good)]);
    let junit = dir.join("report.xml");
    let (code, out) = pushsim(&[
        "run",
        dir.to_str().expect("utf-8"),
        "--junit",
        junit.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("a_bad.yaml:19:35: error: steps[2].send: unknown key `txt`"),
        "{out}"
    );
    assert!(out.contains("1 passed, 0 failed, 1 did not load"), "{out}");
    // In the JUnit report a file that did not load is an error under its id.
    let xml = std::fs::read_to_string(&junit).expect("report written");
    assert!(
        xml.contains("name=\"a_bad\"")
            && xml.contains("<error message=")
            && xml.contains("errors=\"1\""),
        "{xml}"
    );
}

#[test]
fn check_determinism_runs_twice_and_passes_on_the_reference() {
    let text = passing();
    let dir = scratch("det", &[("a.yaml", &text)]);
    let (code, out) = pushsim(&[
        "run",
        dir.to_str().expect("utf-8"),
        "--check-determinism",
        "-q",
    ]);
    assert_eq!(code, 0, "{out}");
}

/// Issue 10: harness trouble (here the tick budget, cut to 3 with
/// `--max-ticks`) is not a regression: exit 2, labelled so.
#[test]
fn harness_trouble_exits_2_not_1() {
    let dir = scratch("harness", &[("budget.yaml", GOOD)]);
    let (code, out) = pushsim(&["run", dir.to_str().unwrap(), "--max-ticks", "3"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("HARNESS "), "{out}");
    assert!(out.contains("budget exhausted: 3 ticks"), "{out}");
    assert!(!out.contains("line 0"), "{out}");
}

/// Issue 10: a silent drop made the runner step every tick until the
/// heartbeat timeout: a 30,000 s timeout spent the whole 2M-tick budget and
/// the steps after it never ran. The deadline is now jumped to.
#[test]
fn a_long_heartbeat_timeout_after_a_silent_drop_costs_no_ticks() {
    let text = GOOD.replace(
        "start: 2026-03-02T09:00:00+08:00",
        "profile:\n  base: easemob\n  presence.heartbeat_timeout_s: 30000\nstart: 2026-03-02T09:00:00+08:00",
    );
    let text = text.replace("kill: bob/phone", "disconnect: bob/phone");
    let dir = scratch("silent", &[("silent.yaml", &text)]);
    let (code, out) = pushsim(&["run", dir.to_str().unwrap(), "--max-ticks", "5000"]);
    assert_eq!(code, 0, "{out}");
}

/// Issue 10: `pushsim run … | head -1` panicked on the broken pipe (exit 101).
#[test]
fn a_closed_stdout_ends_the_run_quietly_with_the_sigpipe_status() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pushsim"))
        .args(["run", root.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut first)
        .expect("a first line");
    assert!(first.starts_with("[1/"), "{first}"); // the reader goes away here
    let out = child.wait_with_output().expect("it ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Issues 10/11: `--tags nosuchtag` and `--tags ''` ran nothing and exited 0.
#[test]
fn a_tag_filter_that_selects_nothing_is_an_error() {
    let dir = scratch("tags", &[("a.yaml", GOOD)]);
    let (code, out) = pushsim(&["run", dir.to_str().unwrap(), "--tags", "nosuchtag"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no scenario has tag nosuchtag"), "{out}");
    let (code, out) = pushsim(&["run", dir.to_str().unwrap(), "--tags", ""]);
    assert_eq!(code, 2, "{out}");
}

/// Issue 10: a symlink loop ran each file 41 times, a FIFO named `x.yaml` hung
/// `run`, `check /dev/zero` read 8 GB; `B.YAML` was skipped silently.
#[test]
fn odd_paths_are_walked_once_refused_or_read() {
    let dir = scratch("paths", &[("a.yaml", GOOD), ("B.YAML", GOOD)]);
    std::os::unix::fs::symlink(&dir, dir.join("loop")).expect("a symlink");
    let fifo = dir.join("x.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let (code, out) = pushsim(&["check", dir.to_str().unwrap()]);
    assert_eq!(out.matches("a.yaml").count(), 1, "{out}");
    assert!(out.contains("B.YAML"), "{out}");
    if made.is_ok_and(|s| s.success()) {
        assert!(out.contains("not a regular file"), "{out}");
        assert_eq!(code, 2, "{out}");
    }
    let (code, out) = pushsim(&["check", "/dev/zero"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not a regular file"), "{out}");
}

/// Issue 10: many logins at one instant held a later step back, silently.
#[test]
fn a_step_held_back_by_the_steps_before_it_is_reported() {
    let mut text = String::from(
        "version: 1\nname: crowd\nabout: a hundred logins at once\nrules: [PRS-06]\nstart: 2026-03-02T09:00:00+08:00\nusers:\n  alice: {}\n  bob:\n    devices:\n",
    );
    for i in 0..100 {
        text.push_str(&format!("      d{i}: {{ platform: web }}\n"));
    }
    text.push_str("steps:\n");
    for i in 0..100 {
        text.push_str(&format!("  - at: \"09:00\"\n    login: bob/d{i}\n"));
    }
    text.push_str("  - at: \"09:00:01\"\n    send: { from: alice, to: bob, text: \"hi\" }\n");
    let dir = scratch("late", &[("crowd.yaml", &text)]);
    let (code, out) = pushsim(&["run", dir.to_str().unwrap()]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("step late: step 100 (line"), "{out}");
    assert!(out.contains("space them out"), "{out}");
}

#[test]
fn run_from_inside_scenarios_finds_the_same_ids_and_snapshots() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_pushsim"))
        .current_dir(root.join("scenarios/dnd"))
        .args(["run", ".", "--quiet"])
        .env("CI", "true")
        .output()
        .expect("the binary runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("without a snapshot"), "{text}");
}

#[test]
fn explain_says_what_the_vendor_answered_a_push() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("scenarios/vendors/huawei_invalid_token.yaml");
    let (code, out) = pushsim(&["explain", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("push via huawei [DNDX-05] → vendor answered 400 invalid token"),
        "{out}"
    );
}

#[test]
fn servers_stop_on_sigterm_and_on_sigint_even_when_a_script_ignores_it() {
    for (args, signal) in [
        (vec!["serve", "--listen", "127.0.0.1:0"], "-TERM"),
        (vec!["mocks", "serve", "--vendors", "fcm"], "-TERM"),
        (vec!["serve", "--listen", "127.0.0.1:0"], "-INT"),
        (vec!["mocks", "serve", "--vendors", "fcm"], "-INT"),
    ] {
        // `sh -c 'cmd &'` is how a script starts a server: SIGINT ignored.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "trap '' INT; exec {} {}",
                env!("CARGO_BIN_EXE_pushsim"),
                args.join(" ")
            ))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("sh runs");
        let mut line = String::new();
        // Kept open until the child is gone: the rest of what it prints
        // must not meet a closed pipe.
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        assert!(!line.is_empty(), "{args:?} printed nothing");
        // Still serving before the signal: a server that just exited would
        // pass everything below.
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(
            child.try_wait().unwrap().is_none(),
            "{args:?} exited before the signal"
        );
        let pid = child.id().to_string();
        assert!(Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success());
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(
                started.elapsed().as_secs() < 10,
                "{args:?} did not stop on {signal}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert!(status.success(), "{args:?} on {signal}: {status:?}");
        drop(stdout);
    }
}

#[test]
fn shards_split_a_corpus_without_overlap() {
    let files: Vec<(String, String)> = (0..5)
        .map(|i| {
            let text = passing();
            (format!("s{i}.yaml"), text)
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = scratch("shard", &refs);
    let mut seen = Vec::new();
    for k in 1..=2 {
        let shard = format!("{k}/2");
        let (code, out) = pushsim(&["run", dir.to_str().unwrap(), "--shard", &shard]);
        assert_eq!(code, 0, "{out}");
        let mine: Vec<String> = out
            .lines()
            .filter_map(|l| {
                l.split_whitespace()
                    .nth(2)
                    .filter(|w| w.starts_with('s'))
                    .map(String::from)
            })
            .collect();
        assert!(!mine.is_empty(), "shard {shard} ran nothing: {out}");
        seen.extend(mine);
    }
    seen.sort();
    assert_eq!(seen, ["s0", "s1", "s2", "s3", "s4"]);
    let (code, out) = pushsim(&["run", dir.to_str().unwrap(), "--shard", "3/2"]);
    assert_eq!(code, 2, "{out}");
}

#[test]
fn new_writes_a_scenario_that_passes_and_refuses_to_overwrite() {
    let dir = scratch("new", &[]);
    let d = dir.to_str().unwrap();
    let (code, out) = pushsim(&["new", "dnd/lunch_break", "--dir", d]);
    assert_eq!(code, 0, "{out}");
    let file = dir.join("dnd/lunch_break.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("# yaml-language-server: $schema=../../scenario.schema.json"),
        "{text}"
    );
    let (code, out) = pushsim(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 0, "the scaffold passes as written: {out}");
    let (code, out) = pushsim(&["new", "dnd/lunch_break", "--dir", d]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not overwritten"), "{out}");
    let (code, out) = pushsim(&["new", "../escape", "--dir", d]);
    assert_eq!(code, 2, "{out}");
}

#[test]
fn mocks_serve_listens_on_the_ports_asked_for() {
    // A free port now may be taken by a parallel test's socket a moment later
    // (and port + 1 was never checked): a refused bind is retried on another.
    let serve = |port: u16| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pushsim"))
            .args([
                "mocks",
                "serve",
                "--vendors",
                "fcm,huawei",
                "--port",
                &port.to_string(),
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut manifest = String::new();
        // The manifest is one pretty-printed JSON document: read until it closes.
        loop {
            let mut line = String::new();
            if std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() == 0 {
                break;
            }
            manifest.push_str(&line);
            if line == "}\n" {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        manifest
    };
    let mut tries = Vec::new();
    for _ in 0..5 {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port().min(65000);
        drop(free);
        let manifest = serve(port);
        if manifest.is_empty() {
            tries.push(port);
            continue; // the port was taken meanwhile
        }
        assert!(
            manifest.contains(&format!("http://127.0.0.1:{port}")),
            "{manifest}"
        );
        assert!(
            manifest.contains(&format!("http://127.0.0.1:{}", port + 1)),
            "{manifest}"
        );
        return;
    }
    panic!("mocks serve printed no manifest on ports {tries:?}");
}

#[test]
fn no_request_and_not_delivered_fail_when_the_message_went_out() {
    // GOOD pushes "hi" to the killed phone: a request went out, and a login
    // afterwards syncs the message to it.
    let text = format!(
        "{}  - at: \"09:20\"\n    login: bob/phone\nexpect:\n  - no_request: {{ device: bob/phone, text: \"hi\" }}\n  - not_delivered: {{ device: bob/phone, text: \"hi\" }}\n",
        GOOD.trim_end_matches("expect:\n")
    );
    let dir = scratch("negative", &[("n.yaml", &text)]);
    let (code, out) = pushsim(&["run", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("expected no vendor request to bob/phone"),
        "{out}"
    );
    assert!(
        out.contains("expected bob/phone never receives \"hi\"; got it received m1 at"),
        "{out}"
    );
}

#[test]
fn decided_names_the_rule_that_decided_and_fails_on_another() {
    // GOOD pushes "hi" to the killed phone by the full order (DNDX-05).
    let pass =
        format!("{GOOD}  - decided: {{ device: bob/phone, text: \"hi\", because: DNDX-05 }}\n");
    let wrong =
        format!("{GOOD}  - decided: {{ device: bob/phone, text: \"hi\", because: PRS-07 }}\n");
    let typo =
        format!("{GOOD}  - decided: {{ device: bob/phone, text: \"hi\", because: PRS-7 }}\n");
    let dir = scratch(
        "decided",
        &[("a.yaml", &pass), ("b.yaml", &wrong), ("c.yaml", &typo)],
    );
    let (code, out) = pushsim(&["run", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "a file that does not load is exit 2: {out}");
    assert!(out.contains("ok   a"), "{out}");
    assert!(
        out.contains(
            "expected decided by PRS-07 to bob/phone of \"hi\"; got m1 → bob/phone [DNDX-05]"
        ),
        "{out}"
    );
    assert!(
        out.contains("error: expect[0].decided.because: unknown rule id `PRS-7`")
            && out.contains("did you mean PRS-07?"),
        "{out}"
    );
}
