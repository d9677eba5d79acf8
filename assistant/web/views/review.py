"""Review queue: filter and page through items; open one to see v0 -> current, edit (with
conflict handling), comment, and approve / request changes / reject / reopen, all audited."""

from __future__ import annotations

import html
from datetime import timedelta

import pandas as pd
import streamlit as st

from assistant.accounts import can
from assistant.errors import AssistantError
from assistant.platforms import PLATFORMS
from assistant.review import EditConflict
from assistant.review.commands import DECISIONS
from assistant.review.schemas import STATES
from assistant.web.attachments import media_panel, media_violations
from assistant.web.publishing import jobs_table, publish_now_panel, status_panel
from assistant.web.voice import voice_line
from assistant.web.common import (brand_slug, md, reviewer, say, services, show_text, show_violations, shown_errors, t,
                                  when)
from assistant.web.transparency import transparency_panel

svc = services()
queue = svc.review
ALL = "*"
PER_PAGE = 25


def diff_html(ops: list[dict[str, str]]) -> str:
    out = []
    for op in ops:
        old, new = html.escape(op["old"]), html.escape(op["new"])
        if op["op"] == "equal":
            out.append(new)
        if op["op"] in ("delete", "replace") and old:
            out.append(f"<del style='background:#fde2e2;color:#a11'>{old}</del>")
        if op["op"] in ("insert", "replace") and new:
            out.append(f"<ins style='background:#dcf5df;color:#175c24;text-decoration:none'>{new}</ins>")
    return ("<div style='border:1px solid #e3e3e3;border-radius:10px;padding:10px 12px;line-height:1.6;"
            "white-space:pre-wrap'>" + "".join(out) + "</div>")


def conflict_of(exc: EditConflict, yours: str) -> dict:
    """What a conflict dialog shows: the item as it is now, and the text this reviewer had."""
    return {"theirs": exc.theirs.text, "theirs_version": exc.theirs.version, "author": exc.theirs.author,
            "yours": yours}


def show_conflict(conflict: dict, message: str, yours_label: str) -> None:
    """Both texts side by side, as text, under the message that nothing was saved."""
    st.error(t(message, version=conflict["theirs_version"], author=md(conflict["author"])))
    c1, c2 = st.columns(2)
    c1.markdown(f"**{t('review.theirs')}**")
    c1.text(conflict["theirs"])
    c2.markdown(f"**{t(yours_label)}**")
    c2.text(conflict["yours"])


def share_panel(view) -> None:
    """A client approval link for this item (the URL is shown once), and the item's links to revoke."""
    with st.expander(t("share.title")):
        to = st.text_input(t("share.to"), key=f"share_to_{view.id}", placeholder="Anna Neri <anna@cliente.it>")
        days = st.number_input(t("share.expires"), min_value=1, max_value=90, value=7, key=f"share_days_{view.id}")
        if st.button(t("share.create"), key=f"share_create_{view.id}"):
            with shown_errors():
                made = svc.shares.create(view.brand, [view.id], to=to, by=who, expires=timedelta(days=int(days)))
                st.session_state[f"share_made_{view.id}"] = (made.share.to_name, made.share.expires_at,
                                                             svc.share_url(made.token))
        made = st.session_state.get(f"share_made_{view.id}")
        if made:
            st.success(t("share.created", name=md(made[0]), until=f"{made[1]:%Y-%m-%d %H:%M} UTC"))
            st.code(made[2], language=None)
        now = queue.clock()
        for link in svc.shares.list(view.brand, by=who, item_id=view.id):
            state = link.state(now)
            c1, c2 = st.columns([3, 1])
            c1.caption(f"#{link.id} · {md(link.to_name)} · {t('share.state.' + state)} · "
                       f"{link.expires_at:%Y-%m-%d %H:%M} UTC")
            if state == "active" and c2.button(t("share.revoke", id=link.id), key=f"share_revoke_{link.id}"):
                with shown_errors():
                    svc.shares.revoke(link.id, by=who)
                    st.rerun()


def change(call, *, conflict_key: str, yours: str, clear: tuple[str, ...]) -> None:
    """Run one change of the item; a stale one keeps both texts for the conflict dialog, any other
    refusal is shown; after a change, the page reloads the item."""
    try:
        call()
    except EditConflict as exc:
        st.session_state[conflict_key] = conflict_of(exc, yours)
        st.rerun()
    except AssistantError as exc:
        st.error(t("error.prefix", message=md(say(exc))))
        return
    for key in clear:
        st.session_state.pop(key, None)
    st.rerun()


TABS = ("edit", "media", "decide", "comments", "history")


def item_tabs(item_id: int, labels: list[str]):
    """The item's tabs, staying on the one the reviewer chose when a label changes (attaching a file
    or commenting changes a count) or the lines above them do: the choice is kept by name."""
    chosen = f"rq_tab_{item_id}"

    def keep() -> None:
        picked = st.session_state.get(f"rq_tabs_{item_id}")
        if picked in labels:
            st.session_state[chosen] = TABS[labels.index(picked)]

    default = labels[TABS.index(st.session_state.get(chosen, TABS[0]))]
    return st.tabs(labels, key=f"rq_tabs_{item_id}", default=default, on_change=keep)


def state_label(state: str) -> str:
    return t(f"state.{state}")


st.title(t("review.title"))
who = reviewer()
mine = svc.brands(who)
brands = {b.slug: b.profile.name for b in mine}
zones = {b.slug: b.profile.timezone for b in mine}  # times show in the brand's zone, named
f1, f2, f3, f4 = st.columns(4)
brand_filter = f1.selectbox(t("review.brand"), [ALL, *brands], index=1 + list(brands).index(brand_slug()),
                            format_func=lambda s: t("review.all") if s == ALL else brands[s], key="rq_brand")
state_filter = f2.selectbox(t("review.state"), [ALL, *STATES], format_func=lambda s: t("review.all") if s == ALL
                            else state_label(s), key="rq_state")
platform_filter = f3.selectbox(t("review.platform"), [ALL, *PLATFORMS], key="rq_platform",
                               format_func=lambda p: t("review.all") if p == ALL else svc.rules[p].label)
# the people who can hold an item of my brands (a client sees no one's names)
people = ({u.username: u.name for u in svc.people.who_may("edit", *brands)}
          if any(can(who, "edit", b) for b in brands) else {})
assignee_choice = f4.selectbox(t("review.assignee"), [ALL, who.username, *[u for u in people if u != who.username]],
                               key="rq_assignee", format_func=lambda u: t("review.all") if u == ALL else
                               t("review.assigned_to_me") if u == who.username else people.get(u, u))
assignee = None if assignee_choice == ALL else assignee_choice

listing = None
with shown_errors():
    first = queue.list_items(state=None if state_filter == ALL else state_filter,
                             brand=None if brand_filter == ALL else brand_filter,
                             platform=None if platform_filter == ALL else platform_filter,
                             assignee=assignee, page=1, per_page=PER_PAGE, actor=who)
    page_no = 1
    if first.pages > 1:
        page_no = int(st.number_input(t("review.page", pages=first.pages), min_value=1, max_value=first.pages,
                                      value=1, key="rq_page"))
    listing = first if page_no == 1 else queue.list_items(
        state=None if state_filter == ALL else state_filter, brand=None if brand_filter == ALL else brand_filter,
        platform=None if platform_filter == ALL else platform_filter, assignee=assignee,
        page=page_no, per_page=PER_PAGE, actor=who)
    st.caption(t("review.count", total=listing.total))
    if listing.items:
        table = pd.DataFrame([{
            "#": i.id, t("review.brand"): brands.get(i.brand, i.brand), t("review.platform"): svc.rules[i.platform].label,
            t("review.state"): state_label(i.state), t("review.errors"): i.error_count,
            t("review.assignee"): people.get(i.assignee, i.assignee) if i.assignee else "", t("review.text"): i.text[:90],
            t("review.updated"): when(i.updated_at, zones.get(i.brand)),
        } for i in listing.items])
        event = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun",
                             selection_mode="single-row", key="rq_table")
        rows = event.selection.rows if event and hasattr(event, "selection") else []
        if rows:
            st.session_state["rq_item"] = int(table.iloc[rows[0]]["#"])
    else:
        st.info(t("review.empty"))

ids = [i.id for i in listing.items] if listing and listing.items else []
current = st.session_state.get("rq_item")
if current not in ids and ids:
    current = ids[0]
if ids:
    chosen = st.selectbox(t("review.open"), ids, index=ids.index(current), key="rq_item_pick",
                          format_func=lambda i: f"#{i}")
    st.session_state["rq_item"] = chosen
    view = queue.get(chosen, actor=who)
    # What was on screen when a button was clicked is the previous run's item (this run reloaded it):
    # decisions are taken on that version, so a change by someone else in between is never approved unseen.
    shown_key = f"rq_shown_{view.id}"
    shown = st.session_state.get(shown_key, (view.version, view.text))
    st.divider()
    st.subheader(t("review.item", id=view.id, brand=md(brands.get(view.brand, view.brand)),
                   platform=svc.rules[view.platform].label))
    # one numbering for people: the text's revisions v0..vN (the item's own version is the lock's)
    st.caption(f"{state_label(view.state)} · {t('review.version', version=view.current_revision)} · "
               f"{t('review.revisions', n=len(view.revisions))} · {t('review.brief')}: {md(view.brief)}")

    status_panel(view, zones.get(view.brand))  # live since (the link only if http(s)), or why publishing failed
    v0 = view.revisions[0]
    left, right = st.columns(2)
    left.markdown(f"**{t('review.v0', model=md(v0.model or '?'))}**")
    left.text(v0.text)
    right.markdown(f"**{t('review.current', n=view.current_revision)}**")
    right.html(diff_html(view.diff))
    m = view.metrics
    st.caption(t("review.metrics", kept=f"{(m.kept_share or 0) * 100:.0f}%", distance=m.edit_distance))
    voice_line(view.brand, view.text)
    current_rev = view.revisions[-1]
    show_violations(current_rev.violations)
    attached = svc.attachments.list(view.id, actor=who)
    show_violations(media_violations(view, attached))  # the media's, beside the text's

    tab_edit, tab_media, tab_decide, tab_comments, tab_history = item_tabs(view.id, [
        t("review.tab_edit"), t("media.tab", n=len(attached)), t("review.tab_decide"),
        t("review.tab_comments", n=len(view.comments)), t("review.tab_history")])

    with tab_edit:
        base_key, text_key = f"rq_base_{view.id}", f"rq_text_{view.id}"
        if base_key not in st.session_state:  # what this reviewer opened: kept until they save
            st.session_state[base_key] = view.version
            st.session_state[text_key] = view.text
        conflict = st.session_state.get(f"rq_conflict_{view.id}")
        if conflict:
            show_conflict(conflict, "review.conflict", "review.yours")
            merged = st.text_area(t("review.merge"), value=conflict["yours"], key=f"rq_merge_{view.id}", height=160)
            if st.button(t("review.save_merged"), key=f"rq_save_merged_{view.id}", type="primary", disabled=not who):
                with shown_errors():
                    queue.edit(view.id, merged, by=who, base_version=conflict["theirs_version"])
                    for key in (f"rq_conflict_{view.id}", base_key, text_key):
                        st.session_state.pop(key, None)
                    st.rerun()
        elif "edit" in view.allowed_actions:
            if st.session_state[base_key] != view.version:
                st.info(t("review.changed_meanwhile", version=view.version))
            text = st.text_area(t("review.edit_text"), key=text_key, height=160)
            if st.button(t("review.save"), key=f"rq_save_{view.id}", disabled=not who):
                change(lambda: queue.edit(view.id, text, by=who, base_version=st.session_state[base_key]),
                       conflict_key=f"rq_conflict_{view.id}", yours=text, clear=(base_key, text_key))
        else:
            st.caption(t("review.not_editable", state=state_label(view.state)))

    with tab_media:
        media_panel(view, who, shown[0], attached)

    with tab_decide:
        actions = [a for a in DECISIONS if a in view.allowed_actions]
        if not actions:
            st.caption(t("review.no_actions", state=state_label(view.state)))
        noted = {"approve", "client_approve", "request_changes", "reject", "reopen", "client_request_changes"}
        note = (st.text_input(t("review.note"), key=f"rq_note_{view.id}", help=t("review.note_help"))
                if set(actions) & noted else "")
        override = ""
        if "approve" in actions and view.error_count:
            override = st.text_input(t("review.override"), key=f"rq_override_{view.id}",
                                     help=t("review.override_help"))
        stale = st.session_state.get(f"rq_stale_{view.id}")
        if stale:  # a decision on a text that changed meanwhile: both texts, nothing decided
            show_conflict(stale, "review.decision_conflict", "review.you_saw")
        cols = st.columns(max(len(actions), 1))
        for col, action in zip(cols, actions):
            if col.button(t(f"action.{action}"), key=f"rq_{action}_{view.id}", disabled=not who,
                          type="primary" if action == "approve" else "secondary", width="stretch"):
                seen_version, seen_text = shown
                change(lambda: queue.decide(view.id, action, by=who, note=note or None,
                                            override_reason=override or None, base_version=seen_version),
                       conflict_key=f"rq_stale_{view.id}", yours=seen_text,
                       clear=(f"rq_base_{view.id}", f"rq_text_{view.id}", f"rq_stale_{view.id}"))

        if "assign" in view.allowed_actions:
            NOBODY = ""
            options = [NOBODY, *[u.username for u in svc.people.who_may("edit", view.brand)]]
            a1, a2 = st.columns([3, 1])
            pick = a1.selectbox(t("review.assign_to"), options, key=f"rq_assign_to_{view.id}",
                                index=options.index(view.assignee) if view.assignee in options else 0,
                                format_func=lambda u: t("review.nobody") if u == NOBODY else people.get(u, u))
            if a2.button(t("review.assign"), key=f"rq_assign_{view.id}", disabled=pick == (view.assignee or NOBODY)):
                with shown_errors():
                    queue.assign(view.id, pick or None, by=who, base_version=view.version)
                    st.rerun()

        if view.state in ("approved", "scheduled", "publish_failed", "published"):
            st.divider()
            publish_now_panel(view, who, zones.get(view.brand))

    with tab_comments:
        for c in view.comments:
            with st.chat_message("user"):
                st.markdown(f"**{md(c.author)}** · {md(when(c.created_at, zones.get(view.brand)))}")
                show_text(c.text)
        comment = st.text_area(t("review.comment"), key=f"rq_comment_{view.id}", height=80)
        if st.button(t("review.add_comment"), key=f"rq_add_comment_{view.id}",
                     disabled="comment" not in view.allowed_actions or not comment.strip()):
            with shown_errors():
                queue.comment(view.id, comment, by=who)
                st.rerun()

    with tab_history:
        st.dataframe(pd.DataFrame([{
            t("review.when"): when(a.at, zones.get(view.brand), seconds=True), t("review.who"): a.actor,
            t("review.action"): t(f"history.{a.action}"), t("review.from"): state_label(a.from_state) if a.from_state
            else "", t("review.to"): state_label(a.to_state) if a.to_state else "",
            t("review.note"): a.note or ""} for a in view.audit]), hide_index=True, width="stretch")
        jobs_table(view, who, zones.get(view.brand))  # the outbox's rows: worker, response id, attempts
        with st.expander(t("review.revisions", n=len(view.revisions))):
            for r in view.revisions:
                st.markdown(f"**v{r.number}** · {md(r.author)} · {md(when(r.created_at, zones.get(view.brand)))}")
                st.text(r.text)
    transparency_panel(view.id, view.brand, who)
    if can(who, "share", view.brand):
        share_panel(view)
    st.session_state[shown_key] = (view.version, view.text)  # what this run put on screen
