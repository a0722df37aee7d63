//! Walks every cell of protocol/roles.md (copied to tests/data) and compares it with `decide`.

use cube_model::{Action, Decision, DialogType, Role, decide};

const TABLE: &str = include_str!("../data/roles.md");

/// The action of a row, from its first cell.
fn action(label: &str) -> Action {
    match label {
        "send a message" => Action::SendMessage,
        "receive messages, read history" => Action::ReadHistory,
        "delete own message for self" => Action::DeleteOwnMessageForSelf,
        "delete own message for everyone" => Action::DeleteOwnMessageForEveryone,
        "delete another's message for everyone" => Action::DeleteOthersMessageForEveryone,
        "delete the dialog for self (leave, unsubscribe)" => Action::LeaveDialog,
        "delete the dialog for everyone" => Action::DeleteDialogForEveryone,
        "add occupants" => Action::AddOccupants,
        "remove other occupants" => Action::RemoveOtherOccupants,
        "change name, photo, description" => Action::ChangeNamePhotoDescription,
        "pin and unpin messages" => Action::PinMessages,
        "add and remove admins" => Action::ManageAdmins,
        "block and unblock users" => Action::BlockUsers,
        other => panic!("roles.md has a row this test does not know: {other:?}"),
    }
}

/// The dialog type and role of a column, from its header (`group: admin`).
fn column(header: &str) -> (DialogType, Role) {
    let (t, r) = header
        .split_once(": ")
        .expect("column header is `type: role`");
    let t = match t {
        "private" => DialogType::Private,
        "group" => DialogType::Group,
        "public" => DialogType::Public,
        "broadcast" => DialogType::Broadcast,
        other => panic!("unknown dialog type column {other:?}"),
    };
    let r = match r {
        "regular" => Role::Regular,
        "admin" => Role::Admin,
        "owner" => Role::Owner,
        other => panic!("unknown role column {other:?}"),
    };
    (t, r)
}

fn cells(line: &str) -> Vec<&str> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(str::trim)
        .collect()
}

#[test]
fn decide_matches_every_cell_of_roles_md() {
    let mut rows = TABLE.lines().filter(|l| l.starts_with('|'));
    let header = cells(rows.next().expect("a header row"));
    assert_eq!(header[..2], ["action", "how it arrives"]);
    let columns: Vec<_> = header[2..].iter().map(|h| column(h)).collect();
    assert_eq!(columns.len(), 10);
    let mut seen = Vec::new();
    let mut checked = 0;
    for line in rows.skip(1) {
        let row = cells(line);
        assert_eq!(row.len(), header.len(), "{line}");
        let a = action(row[0]);
        seen.push(a);
        for (&(t, r), cell) in columns.iter().zip(&row[2..]) {
            let want = match *cell {
                "Y" => Decision::Allowed,
                "N" => Decision::Refused,
                "-" => Decision::NotApplicable,
                other => panic!("unknown cell {other:?}"),
            };
            assert_eq!(decide(t, r, a), want, "{a:?} as {r:?} in {t:?}");
            checked += 1;
        }
    }
    assert_eq!(
        seen,
        Action::ALL,
        "every action has exactly one row, in order"
    );
    assert_eq!(checked, 130);
}

#[test]
fn outsiders_follow_the_notes() {
    for a in Action::ALL {
        for t in [DialogType::Group, DialogType::Private] {
            assert_eq!(
                decide(t, Role::Outsider, a),
                Decision::Refused,
                "{t:?} {a:?}"
            );
        }
        for t in [DialogType::Public, DialogType::Broadcast] {
            let want = if a == Action::ReadHistory {
                Decision::Allowed
            } else {
                Decision::Refused
            };
            assert_eq!(decide(t, Role::Outsider, a), want, "{t:?} {a:?}");
        }
    }
}
