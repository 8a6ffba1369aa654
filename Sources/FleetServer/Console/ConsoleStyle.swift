/// The console's style sheet and icon. Narrow screens (375 px) get one column, tables that scroll inside their
/// panel, and ids shortened to eight characters (the whole id in the title).
enum ConsoleStyle {
    static let text = """
        :root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--panel:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--run:#0969da;--warn:#9a6700}
        *{box-sizing:border-box}
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--fg);background:var(--bg);font-size:15px}
        header{display:flex;flex-wrap:wrap;gap:.6em 1em;align-items:center;padding:.6em 1em;border-bottom:1px solid var(--line);background:var(--panel)}
        header h1{font-size:1.2em;margin:0}
        header .role{color:var(--muted)}
        .logout{margin-left:auto}
        main{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,36em),1fr));gap:1em;padding:1em}
        section{border:1px solid var(--line);border-radius:6px;padding:.6em .9em;min-width:0}
        section h2{font-size:1.05em;margin:.2em 0 .6em}
        #tasks-panel,#detail-panel{grid-column:1/-1}
        .scroll{overflow-x:auto}
        table{border-collapse:collapse;width:100%}
        th,td{border-bottom:1px solid var(--line);padding:.3em .5em;text-align:left;vertical-align:top;font-size:.92em}
        th{background:var(--panel);white-space:nowrap}
        td.empty{color:var(--muted)}
        code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;white-space:nowrap}
        pre{white-space:pre-wrap;word-break:break-word;margin:0;background:var(--panel);padding:.4em}
        .counts{display:flex;flex-wrap:wrap;gap:.5em;list-style:none;padding:0;margin:0}
        .counts li{border:1px solid var(--line);border-radius:6px;padding:.3em .7em;display:flex;flex-direction:column;min-width:6.5em}
        .counts strong{font-size:1.4em}
        .state.completed{color:var(--ok)} .state.failed,.state.expired{color:var(--bad)} .state.claimed{color:var(--run)}
        .state.cancelled{color:var(--muted)} .state.waiting{color:var(--warn)}
        tr.lost td{color:var(--muted)} tr.lost td:nth-child(3){color:var(--bad);font-weight:600}
        tr.unrunnable td:last-child{color:var(--bad);font-weight:600}
        tr.selected{background:#ddf4ff}
        .filters{display:flex;flex-wrap:wrap;gap:.5em;align-items:end;margin-bottom:.5em}
        .filters label{display:flex;flex-direction:column;font-size:.85em;color:var(--muted)}
        input,select,button{font:inherit;padding:.25em .5em}
        button{cursor:pointer;border:1px solid var(--line);border-radius:6px;background:var(--bg)}
        button.link{border:none;background:none;color:var(--run);padding:0;text-align:left}
        button:focus-visible,input:focus-visible,select:focus-visible,a:focus-visible{outline:2px solid var(--run);outline-offset:2px}
        #detail{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1em;margin:0 0 .8em}
        #detail dt{color:var(--muted)} #detail dd{margin:0;min-width:0;overflow-wrap:anywhere}
        .actions{display:flex;gap:.6em;margin-bottom:.6em}
        #tasks-error,.error{color:var(--bad)}
        body.login main{display:block;max-width:24em;margin:4em auto}
        body.login form{display:flex;flex-direction:column;gap:.5em}
        .hint{color:var(--muted);font-size:.9em}
        @media (max-width:40em){main{padding:.5em;gap:.6em} #detail{grid-template-columns:1fr}}
        """

    static let icon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0969da"/>\
        <path d="M6 22l6-8 5 5 9-11" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>
        """
}
