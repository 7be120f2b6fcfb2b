"""Timers that tick only while their tab is on screen, so an idle page does not poll the server.

    timer = gr.Timer(1.0, active=False)          # the tab is not the first one shown
    tick_while_visible(timer, tab)

A gr.Timer keeps ticking once its tab has been shown, even after the visitor moved to another
tab (Gradio only pauses it while the whole page is hidden). Choosing a tab turns the timer on
if that is its tab and off otherwise; one event per tab change, none while the page sits idle.
"""

import gradio as gr


def toggle(label: str, evt: gr.SelectData):
    """A tab was chosen: the timer runs if it is the tab labelled `label`."""
    return gr.Timer(active=evt.value == label)


def tick_while_visible(timer: gr.Timer, tab: gr.Tab) -> None:
    """Wire the enclosing gr.Tabs so that `timer` runs only while `tab` is the one shown."""
    tabs = tab.parent                      # the gr.Tabs this tab was built in
    # The label travels as a State: Gradio finds gr.SelectData only in a plain function's hints.
    tabs.select(toggle, gr.State(tab.label), timer, api_visibility="private", show_progress="hidden",
                queue=False)
