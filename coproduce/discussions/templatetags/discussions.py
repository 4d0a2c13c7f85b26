"""The comments of a discussion as nested lists, built in Python rather than by a recursive include.

A page can carry hundreds of comments: including a comment's template once per comment cost about
a quarter of a millisecond each, this about a tenth of that (see bench/README.md). The markup is
what that template made. Text people wrote or chose (names, notices, placeholders) is escaped
here; a comment's HTML is not, as coproduce.lib.markdown.render_comment sanitised it when the
comment was saved; the rest is this module's constants and numbers and dates it formats itself.
The one reply form a page may show (`?reply=<pk>`) is still a template, discussions/_reply_form.html.
"""

from __future__ import annotations

from collections.abc import Callable

from django import template
from django.template import Context
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from coproduce.accounts.models import User
from coproduce.discussions.models import Comment
from coproduce.discussions.selectors import CommentView, Discussion

register = template.Library()

_SENTINEL = 918273645  # stands for a comment's pk in an address reversed once for all comments
_EDITED = ' <span class="discussion-comment__edited">(edited)</span>'


def _address(name: str) -> Callable[[int], str]:
    """`reverse(name, args=[pk])`, escaped for an attribute, for any pk at the cost of one reverse."""
    before, _, after = escape(reverse(name, args=[_SENTINEL])).rpartition(str(_SENTINEL))
    return lambda pk: f"{before}{pk}{after}"


class _Comments:
    """Renders the comments of one discussion for one request."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.reply_to = context.get("reply_to")
        self.names: dict[int | None, str] = {None: "A former member"}  # escaped, by author pk
        assert context.template is not None  # a template is rendering this tag
        self.engine = context.template.engine
        comments = escape(context["urls"]["comments"])
        actions: list[tuple[str, Callable[[int], str], str, str]] = [
            # (ability, address, link text, words for screen readers), in the order they are shown
            ("can_reply", lambda pk: f"?reply={pk}#reply-{pk}", "Reply", "to this comment"),
            ("can_edit", lambda pk: f"{comments}{pk}/edit/", "Change", "your comment"),
            ("can_delete", lambda pk: f"{comments}{pk}/delete/", "Delete", "your comment"),
            ("can_report", _address("governance:flag_comment"), "Report", "this comment"),
            ("can_publish", _address("governance:comment_publish"), "Publish", "this comment"),
            ("can_hide", _address("governance:comment_hide"), "Hide", "this comment"),
            ("can_restore", _address("governance:comment_restore"), "Restore", "this comment"),
        ]
        self.actions = [
            (ability, address, f'{text}<span class="nhsuk-u-visually-hidden"> {hidden}</span>')
            for ability, address, text, hidden in actions
        ]

    def render(self, views: list[CommentView]) -> SafeString:
        out: list[str] = []
        self.items(views, out)
        return mark_safe("".join(out))  # noqa: S308  (built by this class, escaping as the docstring says)

    def items(self, views: list[CommentView], out: list[str]) -> None:
        for view in views:
            self.item(view, out)

    def name(self, user: User | None) -> str:
        if user is None:
            return self.names[None]
        if user.pk not in self.names:
            self.names[user.pk] = escape(user.display_name)
        return self.names[user.pk]

    def item(self, view: CommentView, out: list[str]) -> None:
        pk = view.pk
        classes = "discussion-comment"
        if view.placeholder and not view.html:
            classes += " discussion-comment--placeholder"
        if view.notice:
            classes += " discussion-comment--moderated"
        edited = _EDITED if view.edited else ""
        out.append(
            f'<li class="{classes}" id="comment-{pk}">\n  <div class="discussion-comment__meta">\n'
            f'    <span class="discussion-comment__author">{self.name(view.author)}</span>\n'
            f'    <time datetime="{view.created_iso}">{view.created_label}</time>{edited}\n'
        )
        if view.reply_to is not None:
            answered = self.name(view.reply_to)
            out.append(f'    <span class="discussion-comment__reply-to">replying to {answered}</span>\n')
        out.append("  </div>\n")
        if view.notice:
            colour = "yellow" if view.comment.state == Comment.State.HELD else "grey"
            out.append(
                f'  <p class="discussion-comment__notice">'
                f'<strong class="nhsuk-tag nhsuk-tag--{colour}">{escape(view.notice)}</strong></p>\n'
            )
        if view.html:
            out.append(f'  <div class="discussion-comment__body">{view.html}</div>\n')
        else:
            out.append(f'  <p class="discussion-comment__placeholder">{escape(view.placeholder)}</p>\n')
        if view.has_actions:
            out.append('  <ul class="discussion-comment__actions">\n')
            for ability, address, link in self.actions:
                if getattr(view, ability):
                    out.append(f'    <li><a href="{address(pk)}">{link}</a></li>\n')
            out.append("  </ul>\n")
        if view.can_reply and self.reply_to == pk:
            out.append(self.reply_form(view))
        if view.replies:
            out.append('  <ol class="discussion-comments discussion-comments--replies">\n')
            self.items(view.replies, out)
            out.append("  </ol>\n")
        out.append("</li>\n")

    def reply_form(self, view: CommentView) -> str:
        form = self.engine.get_template("discussions/_reply_form.html")
        with self.context.push(view=view):
            return form.render(self.context)


@register.simple_tag(takes_context=True)
def discussion_comments(context: Context, discussion: Discussion) -> SafeString:
    """The `<li>` of each top-level comment, its replies nested in `<ol>` lists inside it.

    Needs `urls.comments` and `reply_to` in the context (coproduce.discussions.views.page_section).
    """
    return _Comments(context).render(discussion.comments)
