//! API commands for people at a terminal: `cube session | users | dialogs | messages | chat`.
//! Tables for people, `--json` for scripts.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Context as _, bail};
use cube_client::chat::{ChatEvent, OutgoingMessage, Target as ChatTarget};
use cube_client::model::{Filter, Op};
use cube_client::rest::chat::create_dialog;
use cube_client::rest::chat::list_messages;
use cube_client::{
    Dialog, DialogId, DialogType, Message, MessageId, Query, Sort, User, UserId, UserParams,
};
use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;

use crate::profile::Target;

/// Output options shared by the API commands.
#[derive(Debug, Clone, clap::Args)]
pub struct Output {
    /// Print JSON (one document) instead of a table.
    #[arg(long, global = true)]
    json: bool,
}

/// `cube session`.
#[derive(Debug, clap::Args)]
pub struct SessionArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    #[command(subcommand)]
    command: SessionCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SessionCommand {
    /// Create a session (a user's with --login/--password, else the application's) and print it.
    Create,
    /// Show the session of --token (or of a new one).
    Show,
}

/// `cube users`.
#[derive(Debug, clap::Args)]
pub struct UsersArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    #[command(subcommand)]
    command: UsersCommand,
}

#[derive(Debug, clap::Subcommand)]
enum UsersCommand {
    /// Sign a user up.
    SignUp {
        /// The new user's login.
        #[arg(long = "new-login")]
        new_login: String,
        /// The new user's password.
        #[arg(long = "new-password")]
        new_password: String,
        /// Full name.
        #[arg(long)]
        full_name: Option<String>,
        /// Email.
        #[arg(long)]
        email: Option<String>,
    },
    /// Show one user.
    Get {
        /// User id.
        id: u64,
    },
    /// Search users: by ids, login, or `field[op]=value` filters.
    List {
        /// User ids.
        #[arg(long, value_delimiter = ',')]
        ids: Vec<u64>,
        /// Exact login.
        #[arg(long = "with-login")]
        with_login: Option<String>,
        /// Extra filters like `full_name[start_with]=Ali`.
        #[arg(long = "filter")]
        filters: Vec<String>,
        /// Stop after this many.
        #[arg(long, default_value_t = 100)]
        max: usize,
    },
    /// Change the current user's full name.
    Update {
        /// New full name.
        #[arg(long)]
        full_name: String,
    },
    /// Delete the current user.
    DeleteMe,
}

/// `cube dialogs`.
#[derive(Debug, clap::Args)]
pub struct DialogsArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    #[command(subcommand)]
    command: DialogsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DialogsCommand {
    /// List the current user's dialogs.
    List {
        /// Stop after this many.
        #[arg(long, default_value_t = 100)]
        max: usize,
    },
    /// Create a dialog.
    Create {
        /// group, private or public.
        #[arg(long, value_enum, default_value = "group")]
        kind: Kind,
        /// Name (group and public).
        #[arg(long)]
        name: Option<String>,
        /// Occupant user ids.
        #[arg(long, value_delimiter = ',')]
        occupants: Vec<u64>,
    },
    /// Rename a dialog.
    Rename {
        /// Dialog id.
        id: String,
        /// New name.
        name: String,
    },
    /// Add occupants.
    Add {
        /// Dialog id.
        id: String,
        /// User ids.
        #[arg(value_delimiter = ',')]
        users: Vec<u64>,
    },
    /// Remove occupants.
    Remove {
        /// Dialog id.
        id: String,
        /// User ids.
        #[arg(value_delimiter = ',')]
        users: Vec<u64>,
    },
    /// Delete a dialog (for yourself, or --for-everyone).
    Delete {
        /// Dialog id.
        id: String,
        /// Delete it for every occupant (owner only).
        #[arg(long)]
        for_everyone: bool,
    },
}

/// Dialog kinds that users create.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Kind {
    Group,
    Private,
    Public,
}

/// `cube messages`.
#[derive(Debug, clap::Args)]
pub struct MessagesArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    #[command(subcommand)]
    command: MessagesCommand,
}

#[derive(Debug, clap::Subcommand)]
enum MessagesCommand {
    /// A dialog's history, oldest first (without marking it read).
    List {
        /// Dialog id.
        dialog: String,
        /// Only the newest N.
        #[arg(long)]
        last: Option<usize>,
    },
    /// Send a message over REST (stored and delivered over chat).
    Send {
        /// Dialog id.
        dialog: String,
        /// Text.
        text: String,
    },
    /// Mark messages read.
    Read {
        /// Dialog id.
        dialog: String,
        /// Message ids.
        #[arg(value_delimiter = ',')]
        ids: Vec<String>,
    },
    /// Delete messages (for yourself, or --for-everyone).
    Delete {
        /// Message ids.
        #[arg(value_delimiter = ',')]
        ids: Vec<String>,
        /// Delete for every occupant.
        #[arg(long)]
        for_everyone: bool,
    },
    /// Unread counts, in total and per dialog.
    Unread,
}

/// `cube chat`.
#[derive(Debug, clap::Args)]
pub struct ChatArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    #[command(subcommand)]
    command: ChatCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ChatCommand {
    /// Send one message over chat.
    Send {
        /// To a user id (1:1).
        #[arg(long, conflicts_with = "dialog", required_unless_present = "dialog")]
        user: Option<u64>,
        /// To a group dialog.
        #[arg(long)]
        dialog: Option<String>,
        /// Text.
        text: String,
    },
    /// Print incoming chat events until Ctrl-C, --count events or --seconds.
    Listen {
        /// Stop after this many messages.
        #[arg(long)]
        count: Option<usize>,
        /// Stop after this many seconds.
        #[arg(long)]
        seconds: Option<u64>,
    },
}

fn dialog_id(s: &str) -> anyhow::Result<DialogId> {
    s.parse()
        .with_context(|| format!("{s:?} is not a dialog id (24 hexadecimal digits)"))
}

fn message_ids(ids: &[String]) -> anyhow::Result<Vec<MessageId>> {
    ids.iter()
        .map(|s| {
            s.parse()
                .with_context(|| format!("{s:?} is not a message id (24 hexadecimal digits)"))
        })
        .collect()
}

fn print_json<T: Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Prints rows under a header, columns padded to their widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                let _ = write!(s, "{c:<w$}  ", w = widths[i]);
            }
        }
        println!("{}", s.trim_end());
    };
    line(header.iter().map(|h| (*h).to_owned()).collect());
    for r in rows {
        line(r.clone());
    }
}

fn opt(s: Option<&str>) -> String {
    s.unwrap_or("-").to_owned()
}

fn users_out(out: &Output, users: &[User]) -> anyhow::Result<()> {
    if out.json {
        return print_json(&users);
    }
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            vec![
                u.id.to_string(),
                opt(u.login.as_deref()),
                opt(u.full_name.as_deref()),
                opt(u.email.as_deref()),
            ]
        })
        .collect();
    table(&["ID", "LOGIN", "FULL NAME", "EMAIL"], &rows);
    Ok(())
}

fn dialogs_out(out: &Output, dialogs: &[Dialog]) -> anyhow::Result<()> {
    if out.json {
        return print_json(&dialogs);
    }
    let rows: Vec<Vec<String>> = dialogs
        .iter()
        .map(|d| {
            vec![
                d.id.to_string(),
                format!("{:?}", d.dialog_type).to_lowercase(),
                opt(d.name.as_deref()),
                d.user_id.to_string(),
                d.occupants_ids
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
                opt(d.last_message.as_deref()),
            ]
        })
        .collect();
    table(
        &["ID", "TYPE", "NAME", "OWNER", "OCCUPANTS", "LAST MESSAGE"],
        &rows,
    );
    Ok(())
}

fn messages_out(out: &Output, messages: &[Message]) -> anyhow::Result<()> {
    if out.json {
        return print_json(&messages);
    }
    let rows: Vec<Vec<String>> = messages
        .iter()
        .map(|m| {
            vec![
                m.id.to_string(),
                m.date_sent.to_string(),
                m.sender_id.to_string(),
                opt(m.message.as_deref()),
            ]
        })
        .collect();
    table(&["ID", "DATE SENT", "SENDER", "TEXT"], &rows);
    Ok(())
}

/// Runs `cube session`.
pub async fn session(args: SessionArgs) -> anyhow::Result<()> {
    let client = args.target.session(false).await?;
    let s = match args.command {
        SessionCommand::Create => client.current_session().context("no session was created")?,
        SessionCommand::Show => client.session().await?,
    };
    if args.out.json {
        return print_json(&s);
    }
    table(
        &["ID", "APP", "USER", "TOKEN"],
        &[vec![
            s.id.to_string(),
            s.application_id.to_string(),
            s.user_id.to_string(),
            s.token.clone(),
        ]],
    );
    Ok(())
}

/// Runs `cube users`.
pub async fn users(args: UsersArgs) -> anyhow::Result<()> {
    let out = args.out;
    match args.command {
        UsersCommand::SignUp {
            new_login,
            new_password,
            full_name,
            email,
        } => {
            let client = args.target.session(false).await?;
            let mut p = UserParams::new()
                .with_login(new_login)
                .with_password(new_password);
            if let Some(n) = full_name {
                p = p.with_full_name(n);
            }
            if let Some(e) = email {
                p = p.with_email(e);
            }
            let u = client.users().sign_up(p).await?;
            users_out(&out, &[u])
        }
        UsersCommand::Get { id } => {
            let client = args.target.session(false).await?;
            let u = client.users().get(UserId(id)).await?;
            users_out(&out, &[u])
        }
        UsersCommand::List {
            ids,
            with_login,
            filters,
            max,
        } => {
            let client = args.target.session(false).await?;
            let mut q = Query::new();
            if !ids.is_empty() {
                q = q.with_filter(Filter::list(
                    "id",
                    Op::In,
                    ids.iter().map(ToString::to_string),
                ));
            }
            if let Some(l) = with_login {
                q = q.with_filter(Filter::new("login", Op::Eq, l));
            }
            for f in filters {
                let (k, v) = f
                    .split_once('=')
                    .with_context(|| format!("--filter {f:?} is not key=value"))?;
                let parsed = Query::parse([(k, v)]).with_context(|| format!("--filter {f:?}"))?;
                for filter in parsed.filters {
                    q = q.with_filter(filter);
                }
            }
            if q.filters.is_empty() {
                bail!(
                    "users list needs --ids, --with-login or --filter (the API requires a filter)"
                );
            }
            let users: Vec<User> = client.users().list(q).take(max).try_collect().await?;
            users_out(&out, &users)
        }
        UsersCommand::Update { full_name } => {
            let client = args.target.session(true).await?;
            let u = client
                .users()
                .update(UserParams::new().with_full_name(full_name))
                .await?;
            users_out(&out, &[u])
        }
        UsersCommand::DeleteMe => {
            let client = args.target.session(true).await?;
            client.users().delete_me().await?;
            if !out.json {
                println!("deleted");
            }
            Ok(())
        }
    }
}

/// Runs `cube dialogs`.
pub async fn dialogs(args: DialogsArgs) -> anyhow::Result<()> {
    let out = args.out;
    let client = args.target.session(true).await?;
    let d = client.dialogs();
    match args.command {
        DialogsCommand::List { max } => {
            let list: Vec<Dialog> = d.list(Query::new()).take(max).try_collect().await?;
            dialogs_out(&out, &list)
        }
        DialogsCommand::Create {
            kind,
            name,
            occupants,
        } => {
            let t = match kind {
                Kind::Group => DialogType::Group,
                Kind::Private => DialogType::Private,
                Kind::Public => DialogType::Public,
            };
            if matches!(kind, Kind::Private) && occupants.len() != 1 {
                bail!("a private dialog needs exactly one --occupants user");
            }
            let mut req = create_dialog::Request::new(t, occupants.into_iter().map(UserId));
            if let Some(n) = name {
                req = req.with_name(n);
            }
            let dialog = d.create(req).await?;
            dialogs_out(&out, &[dialog])
        }
        DialogsCommand::Rename { id, name } => {
            let dialog = d.rename(dialog_id(&id)?, name).await?;
            dialogs_out(&out, &[dialog])
        }
        DialogsCommand::Add { id, users } => {
            let dialog = d
                .add_occupants(dialog_id(&id)?, users.into_iter().map(UserId))
                .await?;
            dialogs_out(&out, &[dialog])
        }
        DialogsCommand::Remove { id, users } => {
            let dialog = d
                .remove_occupants(dialog_id(&id)?, users.into_iter().map(UserId))
                .await?;
            dialogs_out(&out, &[dialog])
        }
        DialogsCommand::Delete { id, for_everyone } => {
            let id = dialog_id(&id)?;
            if for_everyone {
                d.delete_for_everyone(id).await?;
            } else {
                d.delete(id).await?;
            }
            if !out.json {
                println!("deleted");
            }
            Ok(())
        }
    }
}

/// Runs `cube messages`.
pub async fn messages(args: MessagesArgs) -> anyhow::Result<()> {
    let out = args.out;
    let client = args.target.session(true).await?;
    let m = client.messages();
    match args.command {
        MessagesCommand::List { dialog, last } => {
            let id = dialog_id(&dialog)?;
            let mut list: Vec<Message> = match last {
                Some(n) => {
                    let req = list_messages::Request::new(
                        id,
                        Query::new()
                            .with_sort(Sort::desc("date_sent"))
                            .with_limit(n.min(100) as u64),
                    )
                    .with_mark_as_read(false);
                    m.list(req).take(n).try_collect().await?
                }
                None => m.history(id).try_collect().await?,
            };
            if last.is_some() {
                list.reverse();
            }
            messages_out(&out, &list)
        }
        MessagesCommand::Send { dialog, text } => {
            let msg = m.send(dialog_id(&dialog)?, text).await?;
            messages_out(&out, &[msg])
        }
        MessagesCommand::Read { dialog, ids } => {
            m.mark_read(dialog_id(&dialog)?, message_ids(&ids)?).await?;
            if !out.json {
                println!("marked read");
            }
            Ok(())
        }
        MessagesCommand::Delete { ids, for_everyone } => {
            let r = m.delete(message_ids(&ids)?, for_everyone).await?;
            if out.json {
                return print_json(&r);
            }
            println!(
                "deleted {}, not found {}, refused {}",
                r.successfully_deleted.ids.len(),
                r.not_found.ids.len(),
                r.wrong_permissions.ids.len()
            );
            Ok(())
        }
        MessagesCommand::Unread => {
            let counts = m.unread_counts([]).await?;
            if out.json {
                return print_json(&counts);
            }
            let mut rows = vec![vec!["total".to_owned(), counts.total.to_string()]];
            for (d, n) in &counts.per_dialog {
                rows.push(vec![d.to_string(), n.to_string()]);
            }
            table(&["DIALOG", "UNREAD"], &rows);
            Ok(())
        }
    }
}

/// Runs `cube chat`.
pub async fn chat(args: ChatArgs) -> anyhow::Result<()> {
    let out = args.out;
    let client = args.target.session(true).await?;
    let (chat, mut events) = client.connect_chat().await?;
    match args.command {
        ChatCommand::Send { user, dialog, text } => {
            let to = match (user, dialog) {
                (Some(u), _) => ChatTarget::User(UserId(u)),
                (None, Some(d)) => ChatTarget::Dialog(dialog_id(&d)?),
                (None, None) => bail!("pass --user or --dialog"),
            };
            let id = chat.send(OutgoingMessage::new(to, text))?;
            // Round-trip a ping so the message has left before the stream closes.
            chat.ping().await?;
            chat.disconnect().await;
            if out.json {
                return print_json(&serde_json::json!({ "id": id }));
            }
            println!("sent {id}");
            Ok(())
        }
        ChatCommand::Listen { count, seconds } => {
            if !out.json {
                eprintln!("listening as {} (Ctrl-C to stop)", chat.jid());
            }
            let deadline = seconds.map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
            let mut messages = 0usize;
            loop {
                let next = async {
                    match deadline {
                        Some(d) => tokio::time::timeout_at(d, events.next())
                            .await
                            .ok()
                            .flatten(),
                        None => events.next().await,
                    }
                };
                let ev = tokio::select! {
                    ev = next => ev,
                    _ = tokio::signal::ctrl_c() => None,
                };
                let Some(ev) = ev else { break };
                if matches!(ev, ChatEvent::Message(_)) {
                    messages += 1;
                }
                print_event(&out, &ev);
                if count.is_some_and(|c| messages >= c) {
                    break;
                }
            }
            chat.disconnect().await;
            Ok(())
        }
    }
}

fn user(id: Option<UserId>) -> String {
    id.map_or_else(|| "someone".to_owned(), |u| format!("user {u}"))
}

fn print_event(out: &Output, ev: &ChatEvent) {
    let line = match ev {
        ChatEvent::Message(m) => {
            if out.json {
                serde_json::json!({
                    "type": "message",
                    "id": m.id,
                    "kind": m.kind.as_str(),
                    "from": m.from.as_ref().map(ToString::to_string),
                    "sender_id": m.sender_id.map(|u| u.0),
                    "dialog_id": m.dialog_id,
                    "body": m.body,
                    "from_history": m.from_history,
                })
                .to_string()
            } else {
                format!(
                    "message  {} from {} in {}: {}",
                    opt(m.id.as_deref()),
                    m.sender_id.map_or_else(|| "-".into(), |u| u.to_string()),
                    opt(m.dialog_id.as_deref()),
                    opt(m.body.as_deref())
                )
            }
        }
        other => {
            let text = match other {
                ChatEvent::Delivered { id, user_id, .. } => {
                    format!("delivered {id} to {}", user(*user_id))
                }
                ChatEvent::Read { id, user_id, .. } => format!("read {id} by {}", user(*user_id)),
                ChatEvent::Typing {
                    user_id, composing, ..
                } => format!(
                    "{} {}",
                    user(*user_id),
                    if *composing {
                        "is typing"
                    } else {
                        "stopped typing"
                    }
                ),
                ChatEvent::State(state) => format!("connection {state:?}"),
                other => format!("{other:?}"),
            };
            if out.json {
                serde_json::json!({ "type": "event", "event": text }).to_string()
            } else {
                format!("event    {text}")
            }
        }
    };
    println!("{line}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    enum Cli {
        Session(SessionArgs),
        Users(UsersArgs),
        Dialogs(DialogsArgs),
        Messages(MessagesArgs),
        Chat(ChatArgs),
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("cube").chain(args.iter().copied()))
    }

    #[test]
    fn bad_arguments_are_clear_errors() {
        use clap::error::ErrorKind;
        let kind = |args: &[&str]| parse(args).unwrap_err().kind();
        assert_eq!(kind(&["users", "get"]), ErrorKind::MissingRequiredArgument);
        assert_eq!(kind(&["users", "get", "x"]), ErrorKind::ValueValidation);
        assert_eq!(
            kind(&["dialogs", "create", "--kind", "bogus"]),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind(&["chat", "send", "hi"]),
            ErrorKind::MissingRequiredArgument
        );
        assert_eq!(
            kind(&["chat", "send", "--user", "1", "--dialog", "d", "hi"]),
            ErrorKind::ArgumentConflict
        );
        assert_eq!(kind(&["messages", "bogus"]), ErrorKind::InvalidSubcommand);
        assert!(
            dialog_id("nothex")
                .unwrap_err()
                .to_string()
                .contains("not a dialog id")
        );
    }

    /// Every API command against an in-process server, as a person would type them.
    #[tokio::test]
    async fn the_commands_work_against_a_local_server() {
        let server = cube_server::Server::start(cube_server::ServerConfig::ephemeral().with_app(
            9,
            "cli-key",
            "cli-secret",
        ))
        .await
        .unwrap();
        let rest = server.rest_url();
        let ws = format!("ws://{}", server.ws_addr().unwrap());
        let target = |login: Option<&str>| {
            let mut v: Vec<String> = [
                "--api-url",
                &rest,
                "--chat-url",
                &ws,
                "--chat-domain",
                "localhost",
                "--app-id",
                "9",
                "--auth-key",
                "cli-key",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
            if let Some(l) = login {
                v.extend([
                    "--login".into(),
                    l.into(),
                    "--password".into(),
                    format!("{l}-pass-1"),
                ]);
            }
            v
        };
        let run = |args: Vec<String>| async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            match parse(&args).unwrap() {
                Cli::Session(a) => session(a).await,
                Cli::Users(a) => users(a).await,
                Cli::Dialogs(a) => dialogs(a).await,
                Cli::Messages(a) => messages(a).await,
                Cli::Chat(a) => chat(a).await,
            }
        };
        let cmd = |words: &[&str], login: Option<&str>| {
            let mut v: Vec<String> = words.iter().map(|s| (*s).to_owned()).collect();
            v.extend(target(login));
            v
        };
        for who in ["alice", "bob"] {
            let pass = format!("{who}-pass-1");
            run(cmd(
                &[
                    "users",
                    "sign-up",
                    "--new-login",
                    who,
                    "--new-password",
                    &pass,
                ],
                None,
            ))
            .await
            .unwrap();
        }
        run(cmd(&["session", "create"], Some("alice")))
            .await
            .unwrap();
        run(cmd(&["session", "show", "--json"], None))
            .await
            .unwrap();
        run(cmd(&["users", "get", "2"], None)).await.unwrap();
        run(cmd(&["users", "list", "--ids", "1,2", "--json"], None))
            .await
            .unwrap();
        assert!(
            run(cmd(&["users", "list"], None)).await.is_err(),
            "a filter is required"
        );
        run(cmd(
            &["users", "update", "--full-name", "Alice A"],
            Some("alice"),
        ))
        .await
        .unwrap();
        assert!(
            run(cmd(&["dialogs", "list"], None)).await.is_err(),
            "dialogs need a user"
        );
        run(cmd(
            &["dialogs", "create", "--name", "Team", "--occupants", "2"],
            Some("alice"),
        ))
        .await
        .unwrap();
        let alice = cube_client::Client::builder(9, "cli-key")
            .local(rest.clone(), ws.clone(), "localhost")
            .build()
            .unwrap();
        alice
            .create_user_session("alice", "alice-pass-1")
            .await
            .unwrap();
        let d: Vec<Dialog> = alice
            .dialogs()
            .list(Query::new())
            .try_collect()
            .await
            .unwrap();
        let id = d[0].id.to_string();
        run(cmd(&["dialogs", "list", "--json"], Some("alice")))
            .await
            .unwrap();
        run(cmd(&["dialogs", "rename", &id, "Team 2"], Some("bob")))
            .await
            .unwrap();
        run(cmd(&["dialogs", "add", &id, "2"], Some("alice")))
            .await
            .unwrap();
        run(cmd(&["messages", "send", &id, "hello"], Some("alice")))
            .await
            .unwrap();
        run(cmd(&["messages", "list", &id, "--last", "1"], Some("bob")))
            .await
            .unwrap();
        run(cmd(&["messages", "unread"], Some("bob")))
            .await
            .unwrap();
        let m: Vec<Message> = alice
            .messages()
            .history(d[0].id)
            .try_collect()
            .await
            .unwrap();
        let mid = m[0].id.to_string();
        run(cmd(&["messages", "read", &id, &mid], Some("bob")))
            .await
            .unwrap();
        run(cmd(
            &["chat", "send", "--dialog", &id, "over chat"],
            Some("alice"),
        ))
        .await
        .unwrap();
        run(cmd(
            &["chat", "listen", "--count", "1", "--seconds", "10"],
            Some("bob"),
        ))
        .await
        .unwrap();
        run(cmd(
            &["messages", "delete", &mid, "--for-everyone"],
            Some("alice"),
        ))
        .await
        .unwrap();
        run(cmd(&["dialogs", "remove", &id, "2"], Some("alice")))
            .await
            .unwrap();
        let refused = run(cmd(
            &["dialogs", "delete", &id, "--for-everyone"],
            Some("bob"),
        ))
        .await;
        assert!(refused.is_err());
        run(cmd(
            &["dialogs", "delete", &id, "--for-everyone"],
            Some("alice"),
        ))
        .await
        .unwrap();
        run(cmd(&["users", "delete-me"], Some("bob")))
            .await
            .unwrap();
        server.shutdown().await;
    }
}
