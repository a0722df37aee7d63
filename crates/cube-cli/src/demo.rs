//! `cube demo`: the whole ConnectyCube flow against a server started inside this process, through
//! cube-client only, as a readable transcript; exits non-zero when any step misbehaves.

use std::fmt::Write as _;
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail, ensure};
use cube_client::chat::{Chat, ChatEvent, ChatEvents, ChatMessage};
use cube_client::{Action, Client, Dialog, DialogId, Query, User, UserId, UserParams};
use cube_server::{Server, ServerConfig};
use futures_util::TryStreamExt;

const APP_ID: u64 = 1;
const AUTH_KEY: &str = "demo-auth-key";
const AUTH_SECRET: &str = "demo-auth-secret";

/// How long a chat event may take to arrive before the step fails.
const EVENT_WAIT: Duration = Duration::from_secs(10);

/// Flags of `cube demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print only the summary line.
    #[arg(long, short)]
    quiet: bool,
}

/// The transcript: numbered steps, what each did, and whether it did what it should.
struct Transcript {
    quiet: bool,
    steps: u32,
    failed: Vec<String>,
}

impl Transcript {
    fn line(&self, s: &str) {
        if !self.quiet {
            println!("{s}");
        }
    }

    /// Runs one step; a failure is recorded and the demo goes on where it can.
    async fn step<T, F>(&mut self, title: &str, f: F) -> Option<T>
    where
        F: Future<Output = anyhow::Result<(T, String)>>,
    {
        self.steps += 1;
        let started = Instant::now();
        let result = f.await;
        let ms = started.elapsed().as_millis();
        match result {
            Ok((value, detail)) => {
                self.line(&format!(
                    "[{:>2}] ok    {title:<66} {detail} ({ms} ms)",
                    self.steps
                ));
                Some(value)
            }
            Err(e) => {
                self.line(&format!("[{:>2}] FAIL  {title:<66} {e:#}", self.steps));
                self.failed.push(title.to_owned());
                None
            }
        }
    }
}

fn name(u: &User) -> String {
    u.login.clone().unwrap_or_else(|| u.id.to_string())
}

/// Waits for the first event that `pick` accepts (others are skipped).
async fn wait_for<T>(
    events: &mut ChatEvents,
    what: &str,
    mut pick: impl FnMut(&ChatEvent) -> Option<T>,
) -> anyhow::Result<T> {
    tokio::time::timeout(EVENT_WAIT, async {
        while let Some(ev) = events.recv().await {
            if let Some(t) = pick(&ev) {
                return Ok(t);
            }
        }
        Err(anyhow!(
            "the chat connection ended while waiting for {what}"
        ))
    })
    .await
    .map_err(|_| anyhow!("no {what} within {} s", EVENT_WAIT.as_secs()))?
}

fn message_with_id(id: &str) -> impl FnMut(&ChatEvent) -> Option<ChatMessage> + '_ {
    move |ev| match ev {
        ChatEvent::Message(m) if m.id.as_deref() == Some(id) => Some(m.clone()),
        _ => None,
    }
}

fn read_of(id: &str) -> impl FnMut(&ChatEvent) -> Option<Option<UserId>> + '_ {
    move |ev| match ev {
        ChatEvent::Read {
            id: read, user_id, ..
        } if read == id => Some(*user_id),
        _ => None,
    }
}

/// One user of the demo: a client holding a user session, and later a chat connection.
struct Person {
    user: User,
    client: Client,
    chat: Option<(Chat, ChatEvents)>,
}

/// Runs the demo.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let server =
        Server::start(ServerConfig::ephemeral().with_app(APP_ID as i64, AUTH_KEY, AUTH_SECRET))
            .await
            .context("starting the in-process server")?;
    let rest = server.rest_url();
    let ws = server.ws_addr().map(|a| format!("ws://{a}"));
    let mut t = Transcript {
        quiet: args.quiet,
        steps: 0,
        failed: Vec::new(),
    };
    t.line("cube demo: the ConnectyCube flow, through cube-client, against a local cube-server");
    t.line(&format!(
        "     server: rest {rest}, chat {}, database :memory:",
        ws.as_deref().unwrap_or("(not served)")
    ));
    let ws_url = ws.clone().unwrap_or_else(|| "ws://127.0.0.1:9".to_owned());
    let new_client = || {
        Client::builder(APP_ID, AUTH_KEY)
            .auth_secret(AUTH_SECRET)
            .local(rest.clone(), ws_url.clone(), "localhost")
            .build()
    };

    let outcome = flow(&mut t, &new_client, ws.is_some()).await;
    server.shutdown().await;
    if let Err(e) = outcome {
        t.line(&format!("     stopped: {e:#}"));
        if t.failed.is_empty() {
            t.failed.push(e.to_string());
        }
    }
    if t.failed.is_empty() {
        println!("cube demo: all {} steps did what they should", t.steps);
        Ok(())
    } else {
        bail!(
            "{} of {} steps failed: {}",
            t.failed.len(),
            t.steps,
            t.failed.join(", ")
        )
    }
}

/// The steps; an `Err` stops the demo (a later step cannot run without an earlier one).
async fn flow(
    t: &mut Transcript,
    new_client: &dyn Fn() -> Result<Client, cube_client::Error>,
    chat_served: bool,
) -> anyhow::Result<()> {
    let app = new_client()?;
    t.step("application session (signed)", async {
        let s = app.create_app_session().await?;
        ensure!(s.user_id == UserId(0), "an application session has no user");
        Ok(((), format!("session {} of app {}", s.id, s.application_id)))
    })
    .await
    .ok_or_else(|| anyhow!("no application session"))?;

    let mut people = Vec::new();
    for (login, full) in [("alice", "Alice Liddell"), ("bob", "Bob Builder")] {
        let user = t
            .step(&format!("sign up {login}"), async {
                let u = app
                    .users()
                    .sign_up(
                        UserParams::new()
                            .with_login(login)
                            .with_password(format!("{login}-secret-1"))
                            .with_full_name(full),
                    )
                    .await?;
                let detail = format!("user {} ({full})", u.id);
                Ok((u, detail))
            })
            .await
            .ok_or_else(|| anyhow!("sign-up failed"))?;
        people.push(user);
    }
    let mut persons = Vec::new();
    for user in people {
        let client = new_client()?;
        let login = name(&user);
        t.step(&format!("log in as {login}"), async {
            let s = client
                .create_user_session(login.clone(), format!("{login}-secret-1"))
                .await?;
            ensure!(s.user_id == user.id, "the session is {}'s", s.user_id);
            Ok(((), format!("user session for user {}", s.user_id)))
        })
        .await
        .ok_or_else(|| anyhow!("login failed"))?;
        persons.push(Person {
            user,
            client,
            chat: None,
        });
    }
    let [alice, bob] = &mut persons[..] else {
        bail!("two users expected");
    };

    let group: Dialog = t
        .step("alice creates a group dialog with bob", async {
            let d = alice
                .client
                .dialogs()
                .create_group("Demo group", [bob.user.id])
                .await?;
            ensure!(d.is_occupant(bob.user.id), "bob is an occupant");
            let detail = format!("dialog {} \"Demo group\", occupants {:?}", d.id, ids(&d));
            Ok((d, detail))
        })
        .await
        .ok_or_else(|| anyhow!("no group"))?;

    if chat_served {
        chat_steps(t, alice, bob, &group).await?;
    } else {
        t.line("     (chat steps skipped: this server has no chat listener)");
        t.failed.push("chat (not served)".into());
    }

    // A third user joins and leaves.
    let carol_client = new_client()?;
    let carol = t
        .step("sign up and log in carol", async {
            carol_client.create_app_session().await?;
            let u = carol_client
                .users()
                .sign_up(
                    UserParams::new()
                        .with_login("carol")
                        .with_password("carol-secret-1"),
                )
                .await?;
            carol_client
                .create_user_session("carol", "carol-secret-1")
                .await?;
            let detail = format!("user {}", u.id);
            Ok((u, detail))
        })
        .await
        .ok_or_else(|| anyhow!("carol missing"))?;
    t.step("alice adds carol to the group", async {
        let d = alice
            .client
            .dialogs()
            .add_occupants(group.id, [carol.id])
            .await?;
        ensure!(d.is_occupant(carol.id), "carol is an occupant");
        Ok(((), format!("occupants {:?}", ids(&d))))
    })
    .await;
    t.step("alice removes carol from the group", async {
        let d = alice
            .client
            .dialogs()
            .remove_occupants(group.id, [carol.id])
            .await?;
        ensure!(!d.is_occupant(carol.id), "carol is gone");
        Ok(((), format!("occupants {:?}", ids(&d))))
    })
    .await;

    t.step("bob renames the group (regular users may)", async {
        let d = bob
            .client
            .dialogs()
            .rename(group.id, "Renamed group")
            .await?;
        ensure!(d.name.as_deref() == Some("Renamed group"), "renamed");
        Ok(((), "name \"Renamed group\"".to_owned()))
    })
    .await;

    t.step("alice lists her dialogs and the group's history", async {
        let dialogs: Vec<Dialog> = alice
            .client
            .dialogs()
            .list(Query::new())
            .try_collect()
            .await?;
        ensure!(
            dialogs.iter().any(|d| d.id == group.id),
            "the group is listed"
        );
        let history: Vec<_> = alice
            .client
            .messages()
            .history(group.id)
            .try_collect()
            .await?;
        let mut detail = format!("{} dialogs:", dialogs.len());
        for d in &dialogs {
            let _ = write!(
                detail,
                " [{} {:?}]",
                d.name.as_deref().unwrap_or("private"),
                d.dialog_type
            );
        }
        let _ = write!(detail, "; {} group messages in history", history.len());
        if chat_served {
            ensure!(!history.is_empty(), "the group message was stored");
        }
        Ok(((), detail))
    })
    .await;

    t.step("refused: bob deletes the group for everyone", async {
        let current = alice
            .client
            .dialogs()
            .list(Query::new())
            .try_collect::<Vec<_>>()
            .await?
            .into_iter()
            .find(|d| d.id == group.id)
            .ok_or_else(|| anyhow!("group not found"))?;
        let predicted = bob.client.decide(&current, Action::DeleteDialogForEveryone);
        ensure!(
            !predicted.is_allowed(),
            "the roles table should refuse this"
        );
        match bob.client.dialogs().delete_for_everyone(group.id).await {
            Ok(()) => bail!("the server allowed it"),
            Err(e) if e.status() == Some(403) => {
                let why = e
                    .api_error()
                    .map(|a| a.messages().join("; "))
                    .unwrap_or_default();
                Ok(((), format!("refused as predicted: 403 {why}")))
            }
            Err(e) => Err(anyhow!(e).context("refused, but not with 403")),
        }
    })
    .await;

    t.step("alice deletes the group for everyone", async {
        alice.client.dialogs().delete_for_everyone(group.id).await?;
        let left: Vec<Dialog> = bob
            .client
            .dialogs()
            .list(Query::new())
            .try_collect()
            .await?;
        ensure!(
            left.iter().all(|d| d.id != group.id),
            "bob no longer sees it"
        );
        Ok(((), format!("dialog {} deleted", group.id)))
    })
    .await;

    t.step("carol deletes her account", async {
        carol_client.users().delete_me().await?;
        match alice.client.users().get(carol.id).await {
            Err(e) if e.status() == Some(404) => {
                Ok(((), format!("user {} is gone (404)", carol.id)))
            }
            Ok(_) => bail!("carol still exists"),
            Err(e) => Err(e.into()),
        }
    })
    .await;

    for p in [alice, bob] {
        if let Some((chat, _)) = p.chat.take() {
            chat.disconnect().await;
        }
    }
    t.step("sessions destroyed", async {
        for c in [&app, &carol_client] {
            c.destroy_session().await.ok();
        }
        Ok(((), "chat closed, sessions gone".to_owned()))
    })
    .await;
    Ok(())
}

fn ids(d: &Dialog) -> Vec<u64> {
    d.occupants_ids.iter().map(|u| u.0).collect()
}

/// Both users on chat; 1:1 and group messages with read markers.
async fn chat_steps(
    t: &mut Transcript,
    alice: &mut Person,
    bob: &mut Person,
    group: &Dialog,
) -> anyhow::Result<()> {
    for p in [&mut *alice, &mut *bob] {
        let who = name(&p.user);
        let client = p.client.clone();
        let connected = t
            .step(&format!("{who} connects to chat"), async {
                let (chat, events) = client.connect_chat().await?;
                let detail = format!("online as {}", chat.jid());
                Ok(((chat, events), detail))
            })
            .await
            .ok_or_else(|| anyhow!("chat connection failed"))?;
        p.chat = Some(connected);
    }
    let (Some((a_chat, a_events)), Some((b_chat, b_events))) = (&mut alice.chat, &mut bob.chat)
    else {
        bail!("both users must be on chat");
    };

    let private: DialogId = t
        .step("alice opens a private dialog with bob", async {
            let d = alice.client.dialogs().create_private(bob.user.id).await?;
            let detail = format!("dialog {}", d.id);
            Ok((d.id, detail))
        })
        .await
        .ok_or_else(|| anyhow!("no private dialog"))?;

    let bob_id = bob.user.id;
    t.step(
        "1:1: alice -> bob, bob reads it, alice sees the read marker",
        async {
            let id = a_chat.send(
                cube_client::chat::OutgoingMessage::new(
                    cube_client::chat::Target::User(bob_id),
                    "Hi Bob, this is Alice",
                )
                .in_dialog(private),
            )?;
            let got = wait_for(b_events, "alice's 1:1 message", message_with_id(&id)).await?;
            ensure!(
                got.body.as_deref() == Some("Hi Bob, this is Alice"),
                "same text"
            );
            b_chat.mark_read(&got)?;
            let reader = wait_for(a_events, "bob's read marker", read_of(&id)).await?;
            ensure!(reader == Some(bob_id), "read by bob");
            Ok(((), format!("message {id} delivered and read")))
        },
    )
    .await;

    let alice_id = alice.user.id;
    t.step(
        "group: alice -> group, bob reads it, alice sees the read marker",
        async {
            let id = a_chat.send_to_dialog(group.id, "Hello group")?;
            let got = wait_for(b_events, "the group message", message_with_id(&id)).await?;
            ensure!(got.sender_id == Some(alice_id), "from alice");
            ensure!(got.dialog() == Some(group.id), "in the group");
            b_chat.mark_read(&got)?;
            let reader = wait_for(a_events, "bob's read marker", read_of(&id)).await?;
            ensure!(reader == Some(bob_id), "read by bob");
            Ok(((), format!("message {id} delivered and read")))
        },
    )
    .await;

    t.step(
        "bob's network drops; alice writes; bob reconnects, each message once",
        async {
            b_chat.simulate_connection_loss()?;
            let ids: Vec<String> = (1..=3)
                .map(|i| a_chat.send_to_dialog(group.id, format!("while you were away {i}")))
                .collect::<Result<_, _>>()?;
            let mut seen: Vec<String> = Vec::new();
            let mut resumed = None;
            tokio::time::timeout(EVENT_WAIT, async {
                while let Some(ev) = b_events.recv().await {
                    match ev {
                        ChatEvent::Message(m) => seen.extend(m.id),
                        ChatEvent::State(cube_client::chat::ConnectionState::Online {
                            resumed: r,
                            ..
                        }) => resumed = Some(r),
                        _ => {}
                    }
                    if resumed.is_some() && ids.iter().all(|id| seen.contains(id)) {
                        break;
                    }
                }
            })
            .await
            .map_err(|_| anyhow!("bob did not get every message back"))?;
            for id in &ids {
                let n = seen.iter().filter(|s| *s == id).count();
                ensure!(n == 1, "message {id} arrived {n} times");
            }
            let how = if resumed == Some(true) {
                "the stream was resumed"
            } else {
                "missed messages came from history"
            };
            Ok(((), format!("3 messages, each once; {how}")))
        },
    )
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cube demo` passes: every step, chat included, against the in-process server.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_passes() {
        Box::pin(run(Args { quiet: true })).await.unwrap();
    }
}
