/*
 * Starts Swagger UI on the API documentation page.
 *
 * - The OpenAPI document URL is read from data-spec-url (no inline script: strict CSP).
 * - Swagger UI's own layout puts the operations in a <main> element and the API title in
 *   an <h1>; inside our page (which has its own <main> and <h1>) that would make two main
 *   landmarks and two first-level headings. The layout below is Swagger UI's BaseLayout
 *   with a <div> instead of the <main>, and the API title is exposed as a level-2 heading.
 */
(function () {
    "use strict";

    var node = document.getElementById("swagger-ui");
    if (!node || typeof window.SwaggerUIBundle !== "function") {
        return;
    }

    function IrritantsLayoutPlugin(system) {
        var h = system.React.createElement;

        function IrritantsLayout(props) {
            var getComponent = props.getComponent;
            var specSelectors = props.specSelectors;
            var errSelectors = props.errSelectors;
            var SvgAssets = getComponent("SvgAssets");
            var InfoContainer = getComponent("InfoContainer", true);
            var VersionPragmaFilter = getComponent("VersionPragmaFilter");
            var Operations = getComponent("operations", true);
            var Models = getComponent("Models", true);
            var Webhooks = getComponent("Webhooks", true);
            var Row = getComponent("Row");
            var Col = getComponent("Col");
            var Errors = getComponent("errors", true);
            var ServersContainer = getComponent("ServersContainer", true);
            var SchemesContainer = getComponent("SchemesContainer", true);
            var AuthorizeBtnContainer = getComponent("AuthorizeBtnContainer", true);
            var FilterContainer = getComponent("FilterContainer", true);

            var isOAS31 = typeof specSelectors.isOAS31 === "function" && specSelectors.isOAS31();
            var isOAS32 = typeof specSelectors.isOAS32 === "function" && specSelectors.isOAS32();
            var status = specSelectors.loadingStatus();
            var message = null;

            if (status === "loading") {
                message = h("p", { className: "fr-text--lead" }, "Chargement de la description de l’API…");
            } else if (status === "failed" || status === "failedConfig") {
                message = h("div", null, h("p", null, "La description de l’API n’a pas pu être chargée."), h(Errors, null));
            } else if (!specSelectors.specStr()) {
                message = h("p", null, "Aucune description d’API n’est disponible.");
            }
            if (message) {
                return h("div", { className: "swagger-ui" }, h("div", { className: "loading-container" }, message));
            }

            var servers = specSelectors.servers();
            var schemes = specSelectors.schemes();
            var hasServers = servers && servers.size;
            var hasSchemes = schemes && schemes.size;
            var hasSecurity = !!specSelectors.securityDefinitions();
            var fullWidth = function (child) {
                return h(Row, null, h(Col, { mobile: 12, desktop: 12 }, child));
            };

            return h("div", { className: "swagger-ui" },
                h(SvgAssets, null),
                h(VersionPragmaFilter, {
                    isSwagger2: specSelectors.isSwagger2(),
                    isOAS3: specSelectors.isOAS3(),
                    isOAS31: isOAS31,
                    isOAS32: isOAS32,
                    alsoShow: h(Errors, null)
                },
                    h(Errors, null),
                    h(Row, { className: "information-container" }, h(Col, { mobile: 12 }, h(InfoContainer, null))),
                    (hasServers || hasSchemes || hasSecurity)
                        ? h("div", { className: "scheme-container" },
                            h(Col, { className: "schemes wrapper", mobile: 12 },
                                (hasServers || hasSchemes)
                                    ? h("div", { className: "schemes-server-container" },
                                        hasServers ? h(ServersContainer, null) : null,
                                        hasSchemes ? h(SchemesContainer, null) : null)
                                    : null,
                                hasSecurity ? h(AuthorizeBtnContainer, null) : null))
                        : null,
                    h(FilterContainer, null),
                    h("div", { id: "operations" },
                        fullWidth(h(Operations, null)),
                        (isOAS31 || isOAS32) ? h(Row, { className: "webhooks-container" }, h(Col, { mobile: 12, desktop: 12 }, h(Webhooks, null))) : null,
                        fullWidth(h(Models, null)))
                )
            );
        }

        return { components: { IrritantsLayout: IrritantsLayout } };
    }

    // Adjustments to the markup Swagger UI renders (and re-renders), for assistive technologies:
    // - the API title is an <h1>: below our own <h1>, expose it as a level-2 heading;
    // - each table of responses is a "region" landmark without a name: name it after its operation;
    // - the request body editor ("Try it out") is a <textarea> without a label.
    function fixAccessibility() {
        var titles = node.querySelectorAll("h1");
        for (var i = 0; i < titles.length; i += 1) {
            if (titles[i].getAttribute("aria-level") !== "2") {
                titles[i].setAttribute("aria-level", "2");
            }
        }
        var regions = node.querySelectorAll("table[role='region']:not([aria-label])");
        for (var j = 0; j < regions.length; j += 1) {
            var operation = regions[j].closest(".opblock");
            var method = operation && operation.querySelector(".opblock-summary-method");
            var path = operation && operation.querySelector(".opblock-summary-path");
            var what = regions[j].classList.contains("live-responses-table") ? "Réponse du serveur" : "Réponses";
            var label = method && path
                ? what + " — " + method.textContent + " " + path.textContent
                : what + " " + (j + 1);
            regions[j].setAttribute("aria-label", label);
        }
        var editors = node.querySelectorAll("textarea:not([aria-label]):not([aria-labelledby])");
        for (var k = 0; k < editors.length; k += 1) {
            if (!editors[k].labels || editors[k].labels.length === 0) {
                editors[k].setAttribute("aria-label", editors[k].readOnly ? "Exemple de corps de requête" : "Corps de la requête");
            }
        }
    }
    new MutationObserver(fixAccessibility).observe(node, { childList: true, subtree: true });

    window.SwaggerUIBundle({
        url: node.getAttribute("data-spec-url"),
        domNode: node,
        deepLinking: false,
        docExpansion: "list",
        defaultModelsExpandDepth: 0,
        displayRequestDuration: true,
        // Never send the document to an external validator.
        validatorUrl: null,
        presets: [window.SwaggerUIBundle.presets.apis],
        plugins: [IrritantsLayoutPlugin],
        layout: "IrritantsLayout"
    });
})();
