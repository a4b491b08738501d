using System.Text;

namespace EdgeAi.Charts;

/// <summary>
/// A chart's HTML output: its static picture, which a script replaces with the live Plotly chart. plotly.js (3.6 MB)
/// is not in the notebook: the script fetches it once per page from the Jupyter server that serves the page
/// (`BASE_URL/static/edgeai/plotly.min.js`, where the kernel publishes it; scripts/jupyter-server serves that folder).
/// Where no script runs, or no such server answers (nbconvert's HTML, an untrusted notebook), the picture stays.
/// </summary>
static class ChartHtml
{
    public static string Html(string plotlyJson, string svg, string title)
    {
        var id = "edgeai-chart-" + Guid.NewGuid().ToString("N");
        var picture = "data:image/svg+xml;base64," + Convert.ToBase64String(Encoding.UTF8.GetBytes(svg));
        var alt = System.Net.WebUtility.HtmlEncode(title);
        // plotlyJson comes from System.Text.Json, which escapes <, > and &: it cannot close the script element.
        return $"<div class=\"edgeai-chart\" id=\"{id}\" style=\"width:{ChartPictures.Width}px;max-width:100%\">" +
               $"<img class=\"edgeai-chart-picture\" src=\"{picture}\" alt=\"{alt}\" width=\"{ChartPictures.Width}\" height=\"{ChartPictures.Height}\"></div>" +
               "<script type=\"text/javascript\">(function () {\n" +
               $"  var figure = {plotlyJson}, target = document.getElementById('{id}');\n" +
               Loader +
               "  window.edgeaiPlotly.then(function (Plotly) { target.innerHTML = ''; return Plotly.newPlot(target, figure.data, figure.layout, { responsive: true }); },\n" +
               "                           function () { /* no plotly.js on this page: the picture stays */ });\n" +
               "})();</script>";
    }

    // Once per page. JupyterLab and Notebook 7 publish the base URL in #jupyter-config-data, the classic Notebook in
    // body[data-base-url]; a JupyterHub user's server has one such as /user/NAME/. The bundle runs with define,
    // module and exports hidden, so that its UMD header sets window.Plotly even where RequireJS is on the page
    // (the classic Notebook has it, and would otherwise capture the bundle as an anonymous module).
    const string Loader = """
          function baseUrl() {
            var config = document.getElementById('jupyter-config-data');
            if (config) { try { return JSON.parse(config.textContent).baseUrl; } catch (e) { } }
            return document.body && document.body.getAttribute('data-base-url');
          }
          if (!window.edgeaiPlotly) {
            window.edgeaiPlotly = window.Plotly ? Promise.resolve(window.Plotly) : (function () {
              var base = baseUrl();
              if (!base || !window.fetch) return Promise.reject(new Error('not a Jupyter page'));
              return fetch(base.replace(/\/?$/, '/') + 'static/edgeai/plotly.min.js')
                .then(function (response) { if (!response.ok) throw new Error('plotly.js: ' + response.status); return response.text(); })
                .then(function (code) { new Function('define', 'module', 'exports', code).call(window); return window.Plotly; });
            })();
          }

        """;
}
